"""Use cases of the certificates app, one transaction each: issue, revoke, check (by
number or by an uploaded file), and import a DCC from an outside laboratory."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from jiliang import messages
from jiliang.audit.services import record
from jiliang.core.dcc import pki
from jiliang.core.dcc.build import build_element
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.parse import parse_dcc, quantities
from jiliang.core.dcc.schema import assert_schema_valid, parse_xml
from jiliang.core.dcc.sign import sign_dcc
from jiliang.core.dcc.verify import Verdict, verify_dcc
from jiliang.messages import enumeration
from jiliang.registry import services as registry_services
from jiliang.registry.models import CalibrationEvent, Instrument, Organisation, Person

from . import keys, pades, records
from .models import Certificate, PdfSignature, SigningKey
from .reasons import localise


class CertificateError(ValueError):
    """A certificate operation that cannot be done; the message names the field and the reason."""


REQUIRED_ROLES = records.ROLES


def _actor(actor) -> dict:
    # Without an explicit actor the audit entry takes the surrounding audit_context's.
    return {} if actor is None else {"actor": actor}


# ------------------------------------------------------------------------- issue


def _check_signers(event: CalibrationEvent, signers) -> list[tuple[Person, str]]:
    wanted = records.roles_for(event)
    pairs = [(person, records.role_for(event, str(role))) for person, role in signers]
    roles = [role for _, role in pairs]
    for person, role in pairs:
        if role not in wanted:
            raise CertificateError(
                "signers: " + gettext("签名角色 %(role)r 不是 %(wanted)s 之一") % {"role": role, "wanted": enumeration(wanted)}
            )
        if person.organisation_id != event.performer_id:
            raise CertificateError(
                "signers: "
                + gettext("%(person)s（%(role)s）不是 %(institution)s 的人员")
                % {"person": person.name, "role": role, "institution": event.performer.name}
            )
    missing = [r for r in wanted if r not in roles]
    if missing:
        raise CertificateError(
            "signers: "
            + gettext("未给出 %(missing)s（证书须由 %(wanted)s 签名）")
            % {"missing": enumeration(missing), "wanted": enumeration(wanted)}
        )
    if len(set(roles)) != len(roles):
        raise CertificateError("signers: " + gettext("每个角色只能签名一次"))
    by_role = {role: person for person, role in pairs}
    if by_role[wanted[0]].pk == by_role["checker"].pk:
        raise CertificateError("signers: " + gettext("核验员须与%(role)s不是同一人") % {"role": wanted[0]})
    return sorted(pairs, key=lambda pair: wanted.index(pair[1]))


@transaction.atomic
def issue_certificate(
    event: CalibrationEvent, signers, *, published: bool = True, now: dt.datetime | None = None, actor=None
) -> Certificate:
    """Build the DCC of ``event`` from the registry, validate it, have each signing person sign
    it with their own key in role order (检定员, 核验员, 批准人), then the performing
    institution seal it with its seal key, and store it. Keys are of the active root's
    algorithm (ECDSA P-256 or SM2/SM3, ``JILIANG_SIGNATURE_ALGORITHM``)."""
    if Certificate.objects.filter(event=event).exists():
        raise CertificateError(gettext("记录 %(number)s：已出具证书") % {"number": event.certificate_number})
    pairs = _check_signers(event, signers)
    now = now or timezone.now()
    try:
        personal = {person.pk: keys.usable_key(event.performer, person=person, now=now) for person, _ in pairs}
        key = keys.usable_key(event.performer, now=now)
    except keys.KeyInfrastructureError as exc:
        raise CertificateError(str(exc)) from None
    element = build_element(records.build_record(event, pairs, timezone.localdate(now)))
    assert_schema_valid(element)
    signing = [keys.signer_for(personal[person.pk], role) for person, role in pairs] + [keys.signer_for(key, records.SEAL)]
    xml = sign_dcc(element, signing, now)
    cert = Certificate.objects.create(
        event=event,
        kind=records.kind_of(event),
        number=event.certificate_number,
        xml=xml,
        sha256=hashlib.sha256(xml).hexdigest(),
        issued_at=now,
        signing_key=key,
        published=published,
        signers=[{"person_id": p.pk, "name": p.name, "role": role, "key_serial": personal[p.pk].serial} for p, role in pairs]
        + [{"person_id": None, "name": event.performer.name, "role": records.SEAL, "key_serial": key.serial}],
    )
    record(
        "create",
        cert,
        **_actor(actor),
        new={"number": cert.number, "kind": cert.kind, "sha256": cert.sha256, "event": event.pk, "key": key.serial},
    )
    # The PDF is made and signed now, so its signature dates the issue, not a download.
    pades.make_pdf(cert, **_actor(actor))
    return cert


@transaction.atomic
def revoke_certificate(cert: Certificate, reason: str, *, now: dt.datetime | None = None, actor=None) -> Certificate:
    if not reason or not reason.strip():
        raise CertificateError("reason: " + gettext("撤销证书须说明理由"))
    cert = Certificate.objects.select_for_update().get(pk=cert.pk)
    if cert.status == Certificate.Status.REVOKED:
        raise CertificateError(gettext("证书 %(number)s：已撤销") % {"number": cert.number})
    old_status = str(cert.status)
    cert.status = Certificate.Status.REVOKED
    cert.revoked_at = now or timezone.now()
    cert.revocation_reason = reason.strip()
    cert.save(update_fields=["status", "revoked_at", "revocation_reason"])
    record("revoke", cert, **_actor(actor), old={"status": old_status}, new={"status": "revoked"}, reason=cert.revocation_reason)
    keys.publish_crl(now=cert.revoked_at)
    pades.make_pdf(cert, **_actor(actor))  # the PDF served from now on says it was revoked
    return cert


# ------------------------------------------------------------------------- check


@dataclass
class CheckResult:
    """The core verdict plus what only the registry knows: issued here, revoked, matching."""

    number: str | None
    verdict: Verdict
    found: bool = False
    examined: bool = False  # a document was checked (the registry's under the number, or an upload)
    status: str | None = None
    revocation_reason: str | None = None
    record_match: bool | None = None
    reasons: list[str] = field(default_factory=list)
    pdf: pades.PdfCheck | None = None  # an uploaded certificate PDF: its own signature

    @property
    def revoked(self) -> bool:
        return self.verdict.revoked or self.status == Certificate.Status.REVOKED or bool(self.pdf and self.pdf.revoked)

    @property
    def pdf_ok(self) -> bool:
        """The PDF's own signature holds, or the PDF is one the platform does not sign (an SM2
        deployment's, an imported DCC's): then the attached DCC alone decides (pades.py)."""
        return self.pdf is None or not self.pdf.reasons

    @property
    def valid(self) -> bool:
        v = self.verdict
        return (
            v.schema_valid
            and v.signature_valid
            and v.chain_valid
            and v.roles_complete
            and not self.revoked
            and self.record_match is True
            and self.pdf_ok
        )

    @property
    def outcome(self) -> str:
        """valid; invalid (a document was checked and failed); not_found (nothing under the number to check)."""
        if self.valid:
            return "valid"
        return "invalid" if self.found or self.examined else "not_found"

    def to_dict(self) -> dict:
        core = self.verdict.to_dict()
        return {
            "valid": self.valid,
            "outcome": self.outcome,
            "summary": str(OUTCOME_SUMMARIES[self.outcome]),
            "number": self.number,
            "found": self.found,
            "status": self.status,
            "schema": core["schema"],
            "signature": {"valid": self.verdict.signature_valid and self.verdict.roles_complete},
            "chain": core["chain"],
            "revoked": self.revoked,
            "revocation_reason": self.revocation_reason,
            "record_match": self.record_match,
            "signatures": core["signatures"],
            "reasons": self.reasons,
            "pdf": self.pdf.to_dict() if self.pdf is not None else None,
        }


OUTCOME_SUMMARIES = {
    "valid": gettext_lazy("证书有效"),
    "invalid": gettext_lazy("证书无效或不可信"),
    "not_found": gettext_lazy("未找到该证书"),
}


def configured_anchors() -> list[x509.Certificate]:
    """Outside trust anchors (``JILIANG_DCC_TRUST_ANCHORS``: PEM files) for imported DCCs."""
    anchors = []
    for path in getattr(settings, "JILIANG_DCC_TRUST_ANCHORS", []):
        anchors.extend(pki.load_certificates(Path(path).read_bytes()))
    return anchors


def _verify(xml: bytes, *, expected: str | None, required_roles, anchors, intermediates=()) -> Verdict:
    verdict = verify_dcc(
        xml, trust_anchors=anchors, intermediates=intermediates, expected_identifier=expected, required_roles=required_roles
    )
    revoked = keys.revoked_keys()
    for sig in verdict.signatures:
        when = dt.datetime.fromisoformat(sig.signing_time) if sig.signing_time else None
        reason = keys.key_revocation_reason(revoked, sig.serial, sig.signer, when)
        if reason:
            sig.revoked = True
            sig.reasons.append(f"revoked: {reason}")
            verdict.reasons.append(f"signature {sig.index}: revoked: {reason}")
    return verdict


def _num(x) -> float | None:
    return x if isinstance(x, float) else None


def registry_problems(cert: Certificate, xml: bytes) -> list[str]:
    """Where the DCC and the registry's record of the event disagree."""
    problems = []
    event = cert.event
    if hashlib.sha256(xml).hexdigest() != cert.sha256:
        problems.append(f"record: the document is not the one issued as {cert.number} (SHA-256 differs from the registry's)")
    try:
        data = parse_dcc(xml)
    except DccError as exc:
        return [*problems, f"record: cannot read the document ({exc})"]
    if data["unique_identifier"] != event.certificate_number:
        problems.append(
            f"record: the document is certificate {data['unique_identifier']!r}, the registry's record is {event.certificate_number!r}"
        )
    if cert.external:
        return problems
    core = (data["administrative_data"] or {}).get("coreData") or {}
    if core.get("beginPerformanceDate") != event.performed_on.isoformat():
        problems.append(
            f"record: performance date {core.get('beginPerformanceDate')} differs from the registry's {event.performed_on.isoformat()}"
        )
    items = ((data["administrative_data"] or {}).get("items") or {}).get("item") or []
    codes = {i.get("value") for item in items for i in ((item.get("identifications") or {}).get("identification") or [])}
    if event.instrument.code not in codes:
        problems.append(f"record: the item is not instrument {event.instrument.code}")
    statements = ((data["administrative_data"] or {}).get("statements") or {}).get("statement") or []
    conformity = {s.get("conformity") for s in statements if isinstance(s.get("conformity"), str)}
    if event.kind == CalibrationEvent.Kind.VERIFICATION and conformity != {"pass" if event.passed else "fail"}:
        problems.append(
            f"record: the verdict {sorted(conformity)} differs from the registry's ({'pass' if event.passed else 'fail'})"
        )
    measured = [
        q["value"] for q in quantities(xml) if q.get("ref_type") not in ("basic_referenceValue", "basic_measurementError")
    ]
    expected = [float(r["value"]) for r in (event.results or []) if isinstance(r, dict) and "value" in r]
    if expected and [_num(v) for v in measured] != expected:
        problems.append("record: the measured values differ from the registry's")
    return problems


def _roles_of(cert: Certificate | None):
    if cert is None or cert.external:
        return ()
    return tuple(s["role"] for s in cert.signers)


def _anchors_for(cert: Certificate | None) -> list[x509.Certificate]:
    anchors = keys.trust_anchors()
    if cert is None or cert.external:
        anchors += configured_anchors()
    return anchors


def _finish(result: CheckResult, cert: Certificate | None, xml: bytes) -> CheckResult:
    if cert is not None:
        result.found = True
        result.status = cert.status
        if cert.status == Certificate.Status.REVOKED:
            result.revocation_reason = cert.revocation_reason
            result.verdict.reasons.append(
                f"revoked: certificate {cert.number} was revoked on {cert.revoked_at.isoformat()}: {cert.revocation_reason}"
            )
        problems = registry_problems(cert, xml)
        result.record_match = not problems
        result.verdict.reasons.extend(problems)
    else:
        result.record_match = False
        result.verdict.reasons.append(f"record: no certificate {result.number!r} in the registry")
    result.reasons = result.verdict.reasons
    return result


def _registered(number: str | None, may_see: Callable[[Certificate], bool] | None) -> Certificate | None:
    """The certificate under ``number``, if the requester may know of it: an unpublished one it
    may not see is answered as an unknown number (neither its issuer nor its validity leaks)."""
    if not number:
        return None
    cert = Certificate.objects.select_related("event__instrument", "event__performer").filter(number=number).first()
    if cert is not None and may_see is not None and not may_see(cert):
        return None
    return cert


def check_number(number: str, *, may_see: Callable[[Certificate], bool] | None = None) -> CheckResult:
    """The verdict on the certificate the registry holds under ``number``. ``may_see`` tells
    whether the requester may see a certificate (pages and API pass the requester's; without
    it every certificate is checked, as for the command line)."""
    number = (number or "").strip()
    cert = _registered(number, may_see)
    if cert is None:
        empty = Verdict(None, False, [], None, [], None, [], False)
        return _finish(CheckResult(number, empty), None, b"")
    xml = bytes(cert.xml)
    verdict = _verify(xml, expected=number, required_roles=_roles_of(cert), anchors=_anchors_for(cert))
    return _finish(CheckResult(number, verdict, examined=True), cert, xml)


def verify_uploaded(
    xml: bytes, number: str | None = None, *, may_see: Callable[[Certificate], bool] | None = None
) -> CheckResult:
    """The verdict on an uploaded DCC file, optionally presented as certificate ``number``."""
    if not isinstance(xml, (bytes, bytearray)):
        raise CertificateError("file: " + gettext("须为 DCC 文件的内容（字节）"))
    xml = bytes(xml)
    if pades.is_pdf(xml):
        return verify_uploaded_pdf(xml, number, may_see=may_see)
    try:
        claimed = parse_dcc(xml)["unique_identifier"]
    except DccError:
        claimed = None
    number = (number or "").strip() or claimed
    cert = _registered(number, may_see)
    verdict = _verify(xml, expected=number, required_roles=_roles_of(cert), anchors=_anchors_for(cert))
    return _finish(CheckResult(number, verdict, examined=True), cert, xml)


def verify_uploaded_pdf(
    pdf: bytes, number: str | None = None, *, may_see: Callable[[Certificate], bool] | None = None
) -> CheckResult:
    """The verdict on an uploaded certificate PDF: its PAdES signature (intact, by a key the
    platform's roots certify, not revoked) and the DCC attached to it, checked as an upload.
    A PDF without a signature passes on its DCC only where the platform does not sign the
    PDF (SM2 deployment, imported DCC); a certificate whose issued PDF is signed is not
    vouched for by an unsigned copy."""
    try:
        check = pades.verify_pdf(pdf)
    except pades.PdfSignatureError as exc:
        empty = Verdict(None, False, [], None, [], None, [str(exc)], False)
        return _finish(CheckResult(number, empty, examined=True), None, b"")
    if check.dcc is None:
        empty = Verdict(None, False, [], None, [], None, ["pdf: no DCC XML is attached to the PDF"], False)
        result = _finish(CheckResult(number, empty, examined=True), None, b"")
        result.pdf = check
        return result
    result = verify_uploaded(check.dcc, number, may_see=may_see)
    cert = _registered(result.number, may_see)
    if not check.signed:
        if cert is None or cert.pdf_signature != PdfSignature.PADES:
            check.reasons.clear()  # nothing to hold the PDF to: the attached DCC decides
        else:
            check.reasons.append(f"pdf: certificate {cert.number} was issued as a signed PDF; this copy is not signed")
    elif cert is not None and not cert.external and check.valid:
        performer = cert.event.performer
        if not SigningKey.objects.filter(organisation=performer, serial=check.key_serial).exists():
            check.reasons.append(f"pdf: the PDF is not signed by the issuing institution {performer.name}")
    result.pdf = check
    result.reasons = [*result.reasons, *check.reasons]
    return result


# ------------------------------------------------------------------------ import


@dataclass
class ImportReport:
    event: CalibrationEvent
    certificate: Certificate
    verdict: Verdict
    notes: list[str]


def _lab_name(data: dict) -> str:
    contact = ((data["administrative_data"] or {}).get("calibrationLaboratory") or {}).get("contact") or {}
    name = contact.get("name") or {}
    text = name if isinstance(name, str) else next(iter(name.values()), "")
    country = ((contact.get("location") or {}).get("countryCode")) or ""
    return f"{text} ({country})" if country else text


def values_of(xml: bytes) -> tuple[list[dict], float | None]:
    """The DCC's quantities as the registry's results rows, and the largest expanded uncertainty."""
    rows: list[dict] = []
    largest = None
    for q in quantities(xml):
        name = q.get("name") or {}
        label = name.get("en") or name.get("zh") or next(iter(name.values()), "") if isinstance(name, dict) else str(name)
        values = q.get("values", [q.get("value")])
        units = q.get("units", [q.get("unit")])
        uncs = q.get("expanded_uncertainty")
        uncs = uncs if isinstance(uncs, list) else [uncs] * len(values)
        ks = q.get("coverage_factor")
        ks = ks if isinstance(ks, list) else [ks] * len(values)
        for i, value in enumerate(values):
            if not isinstance(value, float):
                continue
            unit = units[i] if i < len(units) else units[-1] if units else ""
            row = {
                "quantity": label,
                "value": value,
                "unit": records.registry_unit(unit or ""),
                "dsi_unit": unit,
                "ref_type": q.get("ref_type"),
            }
            u = uncs[i] if i < len(uncs) else (uncs[-1] if uncs else None)
            if isinstance(u, float):
                row["U"] = u
                k = ks[i] if i < len(ks) else (ks[-1] if ks else None)
                if isinstance(k, float):
                    row["k"] = k
                largest = u if largest is None else max(largest, u)
            rows.append(row)
    return rows, largest


@dataclass
class Attribution:
    """Who the platform can tell signed an imported DCC, and whom its event is recorded as performed by."""

    signature_status: str
    performer: Organisation
    signing_key: SigningKey | None = None
    signed_by: str = ""


def _subject_names(rfc4514: str | None) -> set[str]:
    """The organisation and common names of a signer's certificate subject, compared case-blind."""
    try:
        name = x509.Name.from_rfc4514_string(rfc4514 or "")
    except ValueError:
        return set()
    wanted = (x509.NameOID.ORGANIZATION_NAME, x509.NameOID.COMMON_NAME)
    return {str(a.value).strip().casefold() for a in name if a.oid in wanted}


def _platform_key(xml: bytes) -> SigningKey | None:
    """The platform signing key every signature of the DCC was made with, when the signatures
    match, chain to the platform's CA at their signing time, are not revoked and all belong to
    one institution; else None."""
    verdict = _verify(xml, expected=None, required_roles=(), anchors=keys.trust_anchors())
    if not (verdict.signature_valid and verdict.chain_valid and not verdict.revoked):
        return None
    serials = {sig.serial for sig in verdict.signatures}
    found = list(SigningKey.objects.select_related("organisation").filter(serial__in=serials))
    if len(found) != len(serials) or len({k.organisation_id for k in found}) != 1:
        return None
    return next((k for k in found if k.person_id is None), found[0])  # the seal key, when it sealed


def _attribute(xml: bytes, verdict: Verdict, device: Instrument, named: Organisation | None, lab: str) -> Attribution:
    """An event is recorded as performed by an institution only when the document proves it:

    - signed with a platform institution's key → that institution;
    - signed under an outside trust anchor (``JILIANG_DCC_TRUST_ANCHORS`` or the anchors given)
      → the registry's organisation whose name the signing certificate carries (the one
      named, or looked up by the laboratory's name), else the holder;
    - unsigned, or signed by a signer not trusted here (self-signed, unknown CA) → the
      standard's holder, who records the outside calibration under its own name; the
      laboratory the document names is kept as its external source, never as the performer.
    """
    holder = device.standard.holder
    signed_by = "; ".join(sorted({sig.signer for sig in verdict.signatures if sig.signer}))[:500]
    if not verdict.signatures:
        status = Certificate.SignatureStatus.UNSIGNED
    elif (key := _platform_key(xml)) is not None:
        if named is not None and named.pk != key.organisation_id:
            raise CertificateError(
                "performer: "
                + gettext("DCC 由 %(signer)s 的密钥签名，不是 %(named)s 的")
                % {"signer": key.organisation.name, "named": named.name}
            )
        return Attribution(Certificate.SignatureStatus.PLATFORM, key.organisation, key, signed_by)
    elif verdict.chain_valid:
        status = Certificate.SignatureStatus.TRUSTED
        names = set().union(*(_subject_names(sig.signer) for sig in verdict.signatures))
        candidate = named or Organisation.objects.filter(name=lab.rsplit(" (", 1)[0]).first()
        if candidate is not None and candidate.name.strip().casefold() in names:
            return Attribution(status, candidate, None, signed_by)
        if named is not None and named.pk != holder.pk:
            raise CertificateError(
                "performer: "
                + gettext("DCC 的签名证书（%(signer)s）未写明 %(named)s；不指定执行机构即可作为 %(holder)s 的外部校准记录登记")
                % {"signer": signed_by, "named": named.name, "holder": holder.name}
            )
        return Attribution(status, holder, None, signed_by)
    else:
        status = Certificate.SignatureStatus.UNTRUSTED
    if named is not None and named.pk != holder.pk:
        what = (
            gettext("未签名的 DCC") if status == Certificate.SignatureStatus.UNSIGNED else gettext("签名者在本平台不受信任的 DCC")
        )
        raise CertificateError(
            "performer: "
            + gettext("%(what)s 不能登记为由 %(named)s 执行；不指定执行机构即可作为 %(holder)s 的外部校准记录登记")
            % {"what": what, "named": named.name, "holder": holder.name}
        )
    return Attribution(status, holder, None, signed_by)


@transaction.atomic
def import_external_dcc(
    xml: bytes,
    device: Instrument,
    *,
    performer: Organisation | None = None,
    trust_anchors: list[x509.Certificate] | None = None,
    intermediates: list[x509.Certificate] = (),
    require_signature: bool = False,
    actor=None,
) -> ImportReport:
    """Attach an outside laboratory's DCC as the calibration event of a standard device.

    The document must validate against the DCC XSD; a signed one must have matching
    signatures (and, with ``require_signature``, a signer trusted here). It is recorded as
    what it is: an imported certificate (status ``imported`` unless a platform institution's
    key signed it) with its signature status and signers, performed by whom the signature
    proves (see ``_attribute``); ``performer`` names the registry's organisation for the
    laboratory and is refused when the document does not prove it. Only documents whose
    signer is trusted are published.
    """
    if device.standard_id is None:
        raise CertificateError("device: " + gettext("%(code)s 不是计量标准的标准器") % {"code": device.code})
    xml = bytes(xml)
    try:
        parse_xml(xml)
    except DccError as exc:
        raise CertificateError("file: " + messages.render(exc)) from None
    anchors = list(trust_anchors) if trust_anchors is not None else keys.trust_anchors() + configured_anchors()
    verdict = verify_dcc(xml, trust_anchors=anchors, intermediates=intermediates)
    if not verdict.schema_valid:
        raise CertificateError("file: " + gettext("不是有效的 DCC：") + "; ".join(map(localise, verdict.schema_errors[:3])))
    notes = [verdict.schema_note] if verdict.schema_note else []
    if verdict.signatures:
        if not verdict.signature_valid:
            raise CertificateError("file: " + "; ".join(localise(r) for r in verdict.reasons if "signature" in r))
        if not verdict.chain_valid:
            if require_signature:
                raise CertificateError(
                    "file: " + gettext("签名者不受信任：") + "; ".join(localise(r) for r in verdict.reasons if "chain" in r)
                )
            notes.append("signature matches, but the signer's chain is not trusted here")
    elif require_signature:
        raise CertificateError("file: " + gettext("DCC 未签名"))
    else:
        notes.append("unsigned DCC")
    data = parse_dcc(xml)
    number = (data["unique_identifier"] or "").strip()
    if not number:
        raise CertificateError("file: " + gettext("DCC 没有唯一标识"))
    if CalibrationEvent.objects.filter(certificate_number=number).exists():
        raise CertificateError("file: " + gettext("证书 %(number)s 已在登记库中") % {"number": number})
    core = (data["administrative_data"] or {}).get("coreData") or {}
    try:
        begun = dt.date.fromisoformat(core["beginPerformanceDate"])
        ended = dt.date.fromisoformat(core.get("endPerformanceDate") or core["beginPerformanceDate"])
    except (KeyError, TypeError, ValueError):
        raise CertificateError("file: " + gettext("DCC 中没有可读取的检定/校准日期")) from None
    lab = _lab_name(data)
    attribution = _attribute(xml, verdict, device, performer, lab)
    if attribution.performer.pk == device.standard.holder_id and attribution.signing_key is None:
        notes.append(
            f"recorded as {attribution.performer.name}'s record of an outside calibration by {lab or 'an unnamed laboratory'}"
        )
    rows, largest = values_of(xml)
    if not rows:
        raise CertificateError("file: " + gettext("DCC 中没有数值结果"))
    statements = ((data["administrative_data"] or {}).get("statements") or {}).get("statement") or []
    conformity = {s.get("conformity") for s in statements if isinstance(s.get("conformity"), str)}
    if "fail" in conformity:
        # A calibration event states no verdict (JJF 1071-2010): the finding is the holder's to act on.
        notes.append(
            "the DCC states a nonconformity: a calibration carries no verdict here; record the standard's "
            "out-of-tolerance finding (impact and recall) or suspend it"
        )
    event = CalibrationEvent(
        instrument=device,
        performer=attribution.performer,
        kind=CalibrationEvent.Kind.CALIBRATION,
        performed_on=ended,
        # No validity: the chain counts it for the standard's recalibration plan, or until the
        # recalibration date the document states (registry.graph.good_until_days).
        recalibration_due=_recalibration_due(statements, ended),
        results=rows,
        uncertainty=largest,
        certificate_number=number,
        external_source=lab[:200],
    )
    # The rules every event write passes (registry.services): reach, a date not in the future.
    try:
        registry_services.check_event(None, event, ())
    except registry_services.Refused as refused:
        raise CertificateError(f"file: {refused}") from None
    event.save()
    issued = verdict.signatures[0].signing_time if verdict.signatures else None
    trusted = attribution.signature_status in (Certificate.SignatureStatus.PLATFORM, Certificate.SignatureStatus.TRUSTED)
    cert = Certificate.objects.create(
        event=event,
        kind=Certificate.Kind.CALIBRATION,
        number=number,
        xml=xml,
        sha256=hashlib.sha256(xml).hexdigest(),
        issued_at=dt.datetime.fromisoformat(issued) if issued else timezone.now(),
        external=True,
        status=Certificate.Status.ISSUED if attribution.signing_key else Certificate.Status.IMPORTED,
        signing_key=attribution.signing_key,
        signature_status=attribution.signature_status,
        signed_by=attribution.signed_by,
        published=trusted,
        signers=[{"name": s.signer, "role": s.role, "key_serial": s.serial} for s in verdict.signatures],
    )
    record(
        "import",
        cert,
        **_actor(actor),
        new={
            "number": number,
            "sha256": cert.sha256,
            "device": device.code,
            "source": lab,
            "begun": begun,
            "performer": attribution.performer.pk,
            "signature_status": str(attribution.signature_status),
            "signed_by": attribution.signed_by,
        },
    )
    return ImportReport(event, cert, verdict, notes)


def _recalibration_due(statements, performed_on: dt.date) -> dt.date | None:
    """The recalibration date a DCC states (this platform's jiliang_recalibrationDue), if any."""
    for s in statements:
        if s.get("@refType") != "jiliang_recalibrationDue":
            continue
        match = re.search(r"\d{4}-\d{2}-\d{2}", str(s.get("declaration") or ""))
        if match:
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(match.group())
                if day > performed_on:
                    return day
    return None
