"""From a registry calibration event to the DCC core's certificate record (and back, for
the values of an imported DCC).

The laboratory is the performing institution, the item the instrument, the customer its
owner; the results come from the event's ``results`` JSON; the measuring equipment are
the standards used, each device naming the digital certificate of its current
calibration by identifier and SHA-256 when that certificate is in this platform, so the
DCC carries its own traceability chain.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils.translation import gettext_lazy as _

from jiliang.core.dcc import dsi
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.model import (
    CertificateRecord,
    Contact,
    Identification,
    Item,
    Location,
    MeasurementResult,
    MeasuringEquipment,
    Quantity,
    RespPerson,
    Result,
    Software,
    Statement,
    UpstreamCertificate,
    UsedMethod,
)
from jiliang.registry.models import CalibrationEvent, Instrument, Organisation

from .models import Certificate

# Signer roles by what the certificate is: a verification is signed by 检定员/核验员/批准人, a
# calibration by 校准员/核验员/批准人 (JJF 1069 / JJF 1071-2010: the certificate names who
# calibrated, who checked, who approved). "verifier" given for a calibration is read as the
# calibrator (the person who performed it), so clients of the three-slot API keep working.
ROLES = ("verifier", "checker", "approver")
SEAL = "seal"  # the institution's own signature, after the persons' (its 印章 on the paper certificate)
CALIBRATION_ROLES = ("calibrator", "checker", "approver")
# Each role's name on the certificate, Chinese and English (the PDF prints both; a page shows
# the one of its language through ROLE_TEXT).
ROLE_NAMES = {
    "verifier": ("检定员", "Verifier"),
    "calibrator": ("校准员", "Calibrator"),
    "checker": ("核验员", "Checker"),
    "approver": ("批准人", "Approver"),
    SEAL: ("机构印章", "Institution seal"),
}
ROLE_LABELS = {role: f"{zh} / {en}" for role, (zh, en) in ROLE_NAMES.items()}
ROLE_TEXT = {
    "verifier": _("检定员"),
    "calibrator": _("校准员"),
    "checker": _("核验员"),
    "approver": _("批准人"),
    SEAL: _("机构印章"),
}


def roles_for(event: CalibrationEvent) -> tuple[str, ...]:
    return CALIBRATION_ROLES if event.kind == CalibrationEvent.Kind.CALIBRATION else ROLES


def role_for(event: CalibrationEvent, role: str) -> str:
    """The role as the certificate names it: the performer of a calibration is its calibrator."""
    if event.kind == CalibrationEvent.Kind.CALIBRATION and role == "verifier":
        return "calibrator"
    return role


_UNIT_SPELLINGS = {"″": "arcsecond", "Ω": "ohm", "µ": "u", "μ": "u", "⁻¹": "^-1", "³": "^3", "²": "^2", "%LEL": "%"}


def dsi_unit(text: str, field: str) -> str:
    """The D-SI string of a registry unit symbol ("MPa", "m³/h", "°C", "" for a number)."""
    if text is None or not str(text).strip() or str(text).strip() == "1":
        return "\\one"
    text = str(text).strip()
    if text.startswith("\\"):
        dsi.parse_unit(text)
        return text
    spelled = text
    for symbol, name in _UNIT_SPELLINGS.items():
        spelled = spelled.replace(symbol, name)
    try:
        return dsi.from_pint(spelled)
    except Exception as exc:  # pint raises its own errors for unknown symbols
        raise DccError(
            f"unit {text!r} has no D-SI form ({exc})", field=field, code="dcc_unit_no_dsi", unit=repr(text), detail=str(exc)
        ) from None


def registry_unit(dsi_text: str) -> str:
    """A short symbol for a D-SI unit string, for the registry's JSON ("\\kelvin" -> "K")."""
    try:
        unit = dsi.to_pint(dsi_text)
        return f"{unit:~P}" or "1"
    except (DccError, ValueError):
        return dsi_text


def kind_of(event: CalibrationEvent) -> str:
    if event.kind == CalibrationEvent.Kind.CALIBRATION:
        return Certificate.Kind.CALIBRATION.value
    return (Certificate.Kind.VERIFICATION if event.passed else Certificate.Kind.NON_CONFORMITY).value


TITLES = {
    Certificate.Kind.VERIFICATION: {"zh": "检定证书", "en": "Verification certificate"},
    Certificate.Kind.NON_CONFORMITY: {"zh": "检定结果通知书", "en": "Notice of verification result (non-conformity)"},
    Certificate.Kind.CALIBRATION: {"zh": "校准证书", "en": "Calibration certificate"},
}


def _contact(org: Organisation) -> Contact:
    region = org.region
    return Contact(
        name={"zh": org.name},
        location=Location(city=region.name, country_code="CN", street=org.address or None, state=region.code),
    )


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise DccError(f"expected a finite number, got {value!r}", field=field, code="number_finite", got=repr(value))
    return float(value)


def _results(event: CalibrationEvent) -> list[Result]:
    rows = event.results or []
    if not isinstance(rows, list):
        raise DccError(
            "must be a list of result rows", field=f"event {event.certificate_number}.results", code="dcc_results_not_list"
        )
    results = []
    for i, row in enumerate(rows):
        f = f"event {event.certificate_number}.results[{i}]"
        if not isinstance(row, dict) or "value" not in row:
            raise DccError("a result row needs at least a value", field=f, code="dcc_result_row_value")
        unit = dsi_unit(row.get("unit"), f"{f}.unit")
        label = str(row.get("point") or row.get("quantity") or row.get("name") or f"结果 {i + 1}")
        quantities = []
        if row.get("reference") is not None:
            quantities.append(
                Quantity(
                    name={"zh": "标准值", "en": "Reference value"},
                    value=_number(row["reference"], f"{f}.reference"),
                    unit=unit,
                    ref_type="basic_referenceValue",
                )
            )
        u = row.get("U", row.get("uncertainty"))
        quantities.append(
            Quantity(
                name={"zh": str(row.get("quantity") or "测得值"), "en": str(row.get("quantity_en") or "Measured value")},
                value=_number(row["value"], f"{f}.value"),
                unit=unit,
                expanded_uncertainty=None if u is None else _number(u, f"{f}.U"),
                coverage_factor=None if u is None else _number(row.get("k", 2), f"{f}.k"),
                coverage_probability=None if u is None else _number(row.get("p", 0.95), f"{f}.p"),
                ref_type=row.get("ref_type") or "basic_measuredValue",
            )
        )
        if row.get("error") is not None:
            quantities.append(
                Quantity(
                    name={"zh": "示值误差", "en": "Indication error"},
                    value=_number(row["error"], f"{f}.error"),
                    unit=unit,
                    ref_type="basic_measurementError",
                )
            )
        results.append(Result(name={"zh": label}, quantities=quantities))
    if not results:
        if event.kind != CalibrationEvent.Kind.VERIFICATION:
            raise DccError(
                "a calibration certificate must give measured values",
                field=f"event {event.certificate_number}.results",
                code="dcc_calibration_needs_results",
            )
        # A verification recorded with its verdict only: the DCC states the verdict as a result (1 conforms, 0 does not).
        results.append(
            Result(
                name={"zh": "检定结论", "en": "Verification result"},
                ref_type="basic_conformity",
                quantities=[
                    Quantity(
                        name={"zh": "符合性", "en": "Conformity"},
                        value=1.0 if event.passed else 0.0,
                        unit="\\one",
                        ref_type="basic_conformity",
                    )
                ],
            )
        )
    return results


def current_calibration(device: Instrument, on: dt.date) -> CalibrationEvent | None:
    """The device's calibration in force on ``on`` (the latest performed on or before it)."""
    return CalibrationEvent.objects.filter(instrument=device, performed_on__lte=on).order_by("-performed_on", "-id").first()


def measuring_equipment(event: CalibrationEvent) -> list[MeasuringEquipment]:
    equipment = []
    standards = [
        link.standard for link in event.standard_links.select_related("standard").order_by("standard__certificate_number")
    ]
    for std in standards:
        devices = list(std.devices.order_by("code"))
        std_ident = Identification(
            issuer="other", value=std.certificate_number, name={"zh": "计量标准考核证书", "en": "Standard approval certificate"}
        )
        if not devices:
            equipment.append(MeasuringEquipment(name={"zh": std.name}, identifications=[std_ident]))
            continue
        for device in devices:
            upstream = None
            calibration = current_calibration(device, event.performed_on)
            if calibration is not None:
                cert = Certificate.objects.filter(event=calibration).only("number", "sha256").first()
                if cert is not None:
                    upstream = UpstreamCertificate(
                        identifier=cert.number, sha256=cert.sha256, issuer={"zh": calibration.performer.name}
                    )
            equipment.append(
                MeasuringEquipment(
                    name={"zh": f"{std.name} — {device.name}"},
                    certificate=upstream,
                    model=device.model or None,
                    identifications=[
                        std_ident,
                        Identification(
                            issuer="calibrationLaboratory", value=device.code, name={"zh": "器具编号", "en": "Instrument code"}
                        ),
                    ],
                )
            )
    return equipment


def build_record(event: CalibrationEvent, signers: list[tuple], issue_date: dt.date) -> CertificateRecord:
    """The certificate record of ``event``; ``signers`` are (Person, role) pairs."""
    instrument = event.instrument
    kind = kind_of(event)
    idents = [
        Identification(issuer="calibrationLaboratory", value=instrument.code, name={"zh": "器具编号", "en": "Instrument code"})
    ]
    if instrument.serial_number:
        idents.append(
            Identification(issuer="manufacturer", value=instrument.serial_number, name={"zh": "出厂编号", "en": "Serial number"})
        )
    statements = []
    spec = event.specification
    if event.kind == CalibrationEvent.Kind.VERIFICATION:
        verdict = "pass" if event.passed else "fail"
        text = (
            {
                "zh": f"经检定，符合{spec.code if spec else '检定规程'}要求，准予作为合格计量器具使用",
                "en": "Conforms; released for use",
            }
            if event.passed
            else {
                "zh": f"经检定，不符合{spec.code if spec else '检定规程'}要求，不准使用",
                "en": "Does not conform; not to be used",
            }
        )
        statements.append(
            Statement(declaration=text, ref_type="basic_conformity", conformity=verdict, norm=spec.code if spec else None)
        )
    # A passed verification states its validity; a 检定结果通知书 states none (计量检定印、证管理办法
    # 第六条); a calibration states no validity either, only the recalibration date the customer
    # asked for, as such (建议复校日期; JJF 1071-2010, JJF 1139).
    if event.kind == CalibrationEvent.Kind.VERIFICATION and event.passed and event.valid_until:
        statements.append(
            Statement(
                declaration={
                    "zh": f"有效期至 {event.valid_until.isoformat()}",
                    "en": f"Valid until {event.valid_until.isoformat()}",
                },
                ref_type="jiliang_validUntil",
            )
        )
    if event.kind == CalibrationEvent.Kind.CALIBRATION and event.recalibration_due:
        due = event.recalibration_due.isoformat()
        statements.append(
            Statement(
                declaration={
                    "zh": f"建议复校日期 {due}（应客户要求）",
                    "en": f"Recalibration suggested by {due} (at the customer's request)",
                },
                ref_type="jiliang_recalibrationDue",
            )
        )
    persons = [RespPerson(name={"zh": person.name}, role=role, main_signer=(role == "approver")) for person, role in signers]
    methods = [UsedMethod(name={"zh": spec.title}, norm=spec.code)] if spec else []
    return CertificateRecord(
        unique_identifier=event.certificate_number,
        software=[Software(name={"zh": "计量平台", "en": "Jiliang"}, release=_release())],
        begin_performance_date=event.performed_on,
        end_performance_date=event.performed_on,
        issue_date=issue_date,
        items=[
            Item(
                name={"zh": instrument.name},
                manufacturer={"zh": instrument.manufacturer} if instrument.manufacturer else None,
                model=instrument.model or None,
                identifications=idents,
            )
        ],
        laboratory=_contact(event.performer),
        laboratory_code=event.performer.credit_code,
        resp_persons=persons,
        customer=_contact(instrument.owner),
        statements=statements,
        measurement_results=[
            MeasurementResult(
                name={"zh": TITLES[kind]["zh"] + "结果", "en": "Results"},
                results=_results(event),
                used_methods=methods,
                measuring_equipment=measuring_equipment(event),
            )
        ],
        languages=["zh", "en"],
        mandatory_languages=["zh"],
        identifications=[
            Identification(issuer="calibrationLaboratory", value=kind, name={"zh": TITLES[kind]["zh"], "en": TITLES[kind]["en"]})
        ],
    )


def _release() -> str:
    try:
        from importlib.metadata import version

        return version("jiliang")
    except Exception:  # not installed as a distribution (a source checkout)
        return "0.1"
