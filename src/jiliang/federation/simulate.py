"""Simulated provinces for the fault tests and the federation benchmark: a national root CA,
one seal certificate per province's legal metrology institute, the centre's enrolment of
each, and a day of signed change records per province.

The records are the real format (``records.build_record``), signed with real keys, and the
centre verifies them exactly as it verifies a real province's: only their bodies are made
up (certificate numbers, items, dates), in the shape the handlers require.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from dataclasses import dataclass

from jiliang.core.dcc import pki
from jiliang.core.dcc.sign import Signer
from jiliang.core.identifiers import make_credit_code

from .transport import PROVINCES, Outgoing, changes_subject, national_subject


@dataclass(frozen=True)
class SimulatedProvince:
    code: str
    institution: str
    credit_code: str
    signer: Signer
    anchors_pem: str


def make_provinces(codes: Iterable[str], *, not_before: dt.datetime | None = None) -> dict[str, SimulatedProvince]:
    """One root CA for the federation (the platform PKI's national root) and a seal
    certificate for each province's institution, named by its credit code (the O field the
    centre checks against the enrolment)."""
    not_before = not_before or dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ca = pki.create_root_ca("Jiliang federation test root", organisation="Jiliang", not_before=not_before)
    anchors = ca.cert_pem.decode("ascii")
    provinces = {}
    for code in codes:
        digits = "10" if code == "national" else code  # the centre: 中国计量科学研究院 stands in
        credit_code = make_credit_code(f"12{digits}0000MB{int(digits):07d}"[:17])
        name = "中国计量科学研究院（模拟）" if code == "national" else f"{PROVINCES.get(code, code)}计量科学研究院（模拟）"
        seal = pki.issue_signing_certificate(ca, name, organisation=credit_code, not_before=not_before)
        signer = Signer(pki.load_private_key(seal.key_pem), pki.load_certificate(seal.cert_pem), role="seal")
        provinces[code] = SimulatedProvince(code, name, credit_code, signer, anchors)
    return provinces


def enrol(provinces: Iterable[SimulatedProvince]) -> None:
    """The centre enrols each province: its institution and its trust anchors."""
    from .models import ProvinceStatus

    for p in provinces:
        ProvinceStatus.objects.update_or_create(
            code=p.code,
            defaults={
                "name": PROVINCES.get(p.code, p.code),
                "institution_credit_code": p.credit_code,
                "anchors_pem": p.anchors_pem,
            },
        )


# Instruments under mandatory verification and what verifying them issues (names as in
# the catalogue, SAMR 2020 No. 42; the mix is illustrative, weighted towards the many
# trade-settlement meters and scales).
ITEMS = (
    ("电子计价秤", "JJG 539", 12, True),
    ("加油机", "JJG 443", 6, True),
    ("出租汽车计价器", "JJG 517", 12, True),
    ("血压计", "JJG 692", 12, True),
    ("压力表", "JJG 52", 6, True),
    ("电能表", "JJG 596", 0, False),  # first verification only (失准报废): no validity
    ("水表", "JJG 162", 0, False),
    ("测速仪", "JJG 527", 12, True),
)


def certificate_body(province: str, n: int, rng: random.Random, day: dt.date) -> dict:
    """A certificate index entry: a verification certificate (pass, with a validity), a
    result notice (fail), or a calibration certificate (no verdict, no validity)."""
    name, regulation, months, periodic = ITEMS[rng.randrange(len(ITEMS))]
    calibration = rng.random() < 0.15
    passed = None if calibration else rng.random() > 0.03
    city = f"{province}{rng.randrange(1, 12):02d}{rng.randrange(1, 20):02d}"
    body = {
        "number": f"{'JZ' if calibration else 'JD'}{province}-{day:%Y%m%d}-{n:07d}",
        "kind": "calibration" if calibration else "verification",
        "issuer": f"{PROVINCES.get(province, province)}计量科学研究院（模拟）",
        "item": {"code": f"SIM{province}{n:09d}", "name": name, "region": city},
        "performed_on": day.isoformat(),
        "passed": passed,
        "document_sha256": f"{rng.getrandbits(256):064x}",
        "standards": [f"[{day.year}]{province}量标计证字第{rng.randrange(1, 400):04d}号"],
        "regulation": regulation,
    }
    if passed and periodic and months:
        body["valid_until"] = (day + dt.timedelta(days=30 * months)).isoformat()
    return body


def coverage_body(province: str, hour: int, rng: random.Random) -> dict:
    """A coverage/indicators snapshot: what the province's registrations change (a new
    instrument registered moves its item's counts), sent as an hourly summary, not a record
    per registration."""
    items = rng.randrange(55, 60)
    instruments = rng.randrange(5_000_000, 12_000_000)
    return {
        "as_of": "2026-12-07",
        "items": items,
        "covered": items - rng.randrange(0, 5),
        "instruments": instruments,
        "traceable": instruments - rng.randrange(0, 50_000),
        "indicators": {"hour": hour, "registered_today": rng.randrange(1_000, 20_000)},
    }


def day_of_changes(
    province: SimulatedProvince, *, certificates: int, coverage_snapshots: int = 0, first_seq: int = 1, seed: int = 1
) -> list[Outgoing]:
    """A province's records for a day, numbered from ``first_seq``, ready to publish."""
    from .records import build_record

    rng = random.Random(f"{province.code}:{seed}")
    day = dt.date(2026, 12, 7)
    signed_at = dt.datetime(2026, 12, 7, 18, tzinfo=dt.UTC)
    kinds: list[tuple[str, dict]] = [("certificate", certificate_body(province.code, n, rng, day)) for n in range(certificates)]
    step = max(len(kinds) // max(coverage_snapshots, 1), 1)
    for h in range(coverage_snapshots):  # spread through the day's certificates
        kinds.insert(min((h + 1) * step + h, len(kinds)), ("coverage", coverage_body(province.code, 8 + h % 10, rng)))
    subject = changes_subject(province.code)
    out = []
    for offset, (kind, body) in enumerate(kinds):
        seq = first_seq + offset
        raw = build_record(kind, body, province=province.code, seq=seq, signer=province.signer, signed_at=signed_at)
        out.append(Outgoing(subject, province.code, seq, raw))
    return out


def national_records(centre: SimulatedProvince, count: int, *, first_seq: int = 1) -> list[Outgoing]:
    """Primary standards the centre publishes back to every province."""
    from .records import build_record

    out = []
    for i in range(count):
        seq = first_seq + i
        body = {
            "code": f"GJJZ-SIM-{seq:04d}",
            "name": f"模拟计量基准 {seq}",
            "holder": "中国计量科学研究院（模拟）",
            "capabilities": [],
        }
        raw = build_record("primary_standard", body, province="national", seq=seq, signer=centre.signer)
        out.append(Outgoing(national_subject("primary_standard"), "national", seq, raw))
    return out
