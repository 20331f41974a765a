"""The region's report upward (national reporting): its indicators and registers in one
documented JSON format (``schema/indicators-report.schema.json``), versioned, signed with
the platform's key infrastructure (the bureau's seal key of jiliang.certificates), and a
check that a national data centre runs on a file it received.

The signature is detached inside the document: ``signature.value`` signs the canonical
bytes of the document without its ``signature`` member — keys sorted, no insignificant
white space, UTF-8 (RFC 8785, JSON Canonicalization Scheme, for the values a report holds:
strings, integers, booleans, null and numbers rounded to 4 decimals, which Python prints as
ECMAScript does). Written by hand because the platform's signatures are XML (XAdES, for
DCCs) and JWS would need a library the project does not carry; the algorithms are the
platform's own (ECDSA P-256 with SHA-256, or SM2 with SM3 through ``core.dcc.sm2``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.core.dcc import pki, sm2
from jiliang.core.dcc.chain import validate_chain
from jiliang.registry import models as reg

from . import indicators as ind
from .models import BuildingPlan

FORMAT = "jiliang.indicators-report"
VERSION = "1.0"
SCHEMA_PATH = Path(__file__).with_name("schema") / "indicators-report.schema.json"


def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def canonical(document: dict) -> bytes:
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _date(d) -> str | None:
    return d.isoformat() if d else None


def _subtree(code: str) -> str:
    return ind._prefix(code)


def build_report(region: reg.Region, year: int, *, today: dt.date | None = None) -> dict:
    """The unsigned report of a region's subtree for a year (and the year before, for the
    change): every indicator with its definition and source, the figure of the region and of
    each region below it; the registers of public and primary standards, registered
    metrologists and building plans."""
    today = today or timezone.localdate()
    years = [year - 1, year]
    table = ind.compute(years, region.code, today=today)
    prefix = _subtree(region.code)
    names = dict(reg.Region.objects.filter(code__startswith=prefix).values_list("code", "name"))
    indicators = []
    for i in ind.INDICATORS:
        figures = []
        for y in years:
            for code in sorted(table.figures.get(y, {})):
                fig = table.get(y, code, i.key)
                if fig.value is None and not fig.denominator:
                    continue
                figures.append({"region": code, "year": y, **fig.to_json()})
        target = i.target(region.code, year) if i.target else None
        indicators.append(
            {
                "key": i.key,
                "name": str(i.name),
                "definition": str(i.definition),
                "source": i.source,
                "kind": i.kind,
                "unit": i.unit,
                "current_only": i.current_only,
                "target": None if target is None else round(float(target), 4),
                "figures": figures,
            }
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "report_id": str(uuid.uuid4()),
        "generated_at": timezone.now().replace(microsecond=0).isoformat(),
        "year": year,
        "as_of": ind.year_end(year, today).isoformat(),
        "region": {"code": region.code, "name": region.name, "level": region.level},
        "regions": [{"code": c, "name": n} for c, n in sorted(names.items())],
        "indicators": indicators,
        "registers": _registers(prefix, year, today),
    }


def _registers(prefix: str, year: int, today: dt.date) -> dict:
    from jiliang.verification.fitness import active_public_standards

    S = reg.MeasurementStandard
    public = (
        S.objects.filter(id__in=active_public_standards(ind.year_end(year, today)), holder__region__code__startswith=prefix)
        .order_by("certificate_number")
        .values_list(
            "certificate_number",
            "name",
            "level",
            "field__code",
            "holder__name",
            "holder__credit_code",
            "holder__region__code",
            "valid_from",
            "valid_until",
        )
    )
    primary = (
        reg.PrimaryStandard.objects.filter(holder__region__code__startswith=prefix)
        .order_by("code")
        .values_list("code", "name", "quantity__name", "holder__name", "holder__credit_code", "holder__region__code")
    )
    day = ind.year_end(year, today)
    people = (
        reg.Qualification.objects.filter(
            kind__in=reg.Qualification.REGISTRATIONS,
            organisation__region__code__startswith=prefix,
            valid_from__lte=day,
            valid_until__gte=day,
        )
        .order_by("certificate_number", "id")
        .values_list(
            "certificate_number",
            "person__name",
            "kind",
            "specialty",
            "organisation__name",
            "organisation__credit_code",
            "organisation__region__code",
            "valid_from",
            "valid_until",
        )
    )
    plans = []
    for plan in (
        BuildingPlan.objects.filter(region__code__startswith=prefix)
        .exclude(status=BuildingPlan.Status.DRAFT)
        .order_by("region__code", "first_year", "id")
        .prefetch_related("entries__catalog_items")
        .select_related("region")
    ):
        plans.append(
            {
                "region": plan.region.code,
                "title": plan.title,
                "first_year": plan.first_year,
                "last_year": plan.last_year,
                "status": plan.status,
                "entries": [
                    {
                        "action": e.action,
                        "name": e.name,
                        "status": e.status,
                        "target_date": _date(e.target_date),
                        "completed_on": _date(e.completed_on),
                        "catalog_items": sorted(i.code for i in e.catalog_items.all()),
                    }
                    for e in plan.entries.all()
                ],
            }
        )
    return {
        "public_standards": [
            {
                "certificate_number": n,
                "name": name,
                "level": level or None,
                "field": f,
                "holder": h,
                "holder_credit_code": cc,
                "region": rc,
                "valid_from": _date(a),
                "valid_until": _date(b),
            }
            for n, name, level, f, h, cc, rc, a, b in public
        ],
        "primary_standards": [
            {"code": c, "name": n, "quantity": q, "holder": h, "holder_credit_code": cc, "region": rc}
            for c, n, q, h, cc, rc in primary
        ],
        "registered_metrologists": [
            {
                "certificate_number": n,
                "name": name,
                "level": 1 if kind == "metrologist_1" else 2,
                "specialty": sp,
                "organisation": o,
                "organisation_credit_code": cc,
                "region": rc,
                "valid_from": _date(a),
                "valid_until": _date(b),
            }
            for n, name, kind, sp, o, cc, rc, a, b in people
        ],
        "building_plans": plans,
    }


# -- signing ------------------------------------------------------------------------------


def _signature_algorithm(cert: x509.Certificate) -> str:
    return pki.SUITES[pki.algorithm_of(cert)]


def sign(document: dict, signing_key) -> dict:
    """The document with its ``signature`` (``signing_key``: a certificates.SigningKey)."""
    from jiliang.certificates.keys import signer_for

    signer = signer_for(signing_key, "seal")
    data = canonical(document)
    if isinstance(signer.key, sm2.Sm2PrivateKey):
        value = signer.key.sign(data)
    else:
        value = signer.key.sign(data, ec.ECDSA(hashes.SHA256()))
    signed = {k: v for k, v in document.items() if k != "signature"}
    signed["signature"] = {
        "algorithm": _signature_algorithm(signer.certificate),
        "key_serial": signing_key.serial,
        "signer": signer.certificate.subject.rfc4514_string(),
        "certificate": signer.certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "signed_at": timezone.now().replace(microsecond=0).isoformat(),
        "value": base64.b64encode(value).decode(),
    }
    return signed


def report_signer(region: reg.Region):
    """The seal key of the region's administration (计量行政部门) — issued on first use."""
    from jiliang.certificates.keys import usable_key

    bureau = reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION, region=region).order_by("id").first()
    if bureau is None:
        raise ValueError("region: " + gettext("%(region)s 没有登记计量行政部门，无法签名上报") % {"region": region.name})
    return usable_key(bureau)


@dataclass
class Check:
    ok: bool
    problems: list[str] = field(default_factory=list)
    signer: str = ""
    region: str = ""
    year: int | None = None

    def to_json(self) -> dict:
        return {"ok": self.ok, "problems": self.problems, "signer": self.signer, "region": self.region, "year": self.year}


def check(raw: bytes, *, anchors: list[x509.Certificate] | None = None) -> Check:
    """What a receiving data centre checks: the schema, the version, the signature over the
    canonical bytes, the signer's chain to a trusted root at the signing time and (on this
    platform) that its key was not revoked for compromise."""
    import jsonschema

    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        return Check(False, [f"json: {exc}"])
    problems = []
    validator = jsonschema.Draft202012Validator(schema())
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(document)"
        problems.append(f"{where}: {error.message}")
    if problems:
        return Check(False, problems)
    result = Check(True, [], region=document["region"]["code"], year=document["year"])
    sig = document["signature"]
    try:
        cert = pki.load_certificate(sig["certificate"].encode())
    except Exception as exc:  # a malformed certificate is the sender's problem, said as such
        return Check(False, [f"signature/certificate: {exc}"], region=result.region, year=result.year)
    result.signer = cert.subject.rfc4514_string()
    value = base64.b64decode(sig["value"])
    data = canonical(document)
    if sig["algorithm"] != _signature_algorithm(cert):
        problems.append(f"signature/algorithm: {sig['algorithm']} does not match the certificate's key")
    elif sm2.is_sm2_certificate(cert):
        if not sm2.public_key_of(cert).verify(value, data):
            problems.append("signature/value: " + gettext("签名与内容不符（文件在签名后被改动）"))
    else:
        try:
            cert.public_key().verify(value, data, ec.ECDSA(hashes.SHA256()))  # type: ignore[call-arg, arg-type]
        except InvalidSignature:
            problems.append("signature/value: " + gettext("签名与内容不符（文件在签名后被改动）"))
    signed_at = dt.datetime.fromisoformat(sig["signed_at"])
    if anchors is None:
        from jiliang.certificates.keys import revoked_keys, trust_anchors

        anchors = trust_anchors()
        revoked = revoked_keys().get(sig["key_serial"])
        if revoked is not None and (revoked[1] == "key_compromise" or revoked[0] <= signed_at):
            problems.append(f"signature/key_serial: {sig['key_serial']} " + gettext("签名密钥已撤销"))
    _path, chain_problems = validate_chain(cert, [], anchors, signed_at)
    problems.extend(f"signature/certificate: {p}" for p in chain_problems)
    result.problems = problems
    result.ok = not problems
    return result
