"""Federation use cases: enrolling an origin, consuming a file of records, and the figures
the national pages show (coverage and indicators per province and nationally, each
origin's lag and health)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jiliang.core.dcc import pki

from .apply import apply_record
from .models import NATIONAL, FederatedCoverage, ProvinceStatus, RefusedRecord
from .provinces import province_name

# An origin not heard from for this long is "silent" (provinces publish at least their
# coverage snapshot daily; the transport's heartbeat is more often).
SILENT_AFTER = dt.timedelta(hours=24)
MAX_FILE_RECORDS = 1_000_000


class EnrolmentError(ValueError):
    """An enrolment that cannot be made; the message names the field and the reason."""


@transaction.atomic
def enrol(code: str, *, name: str = "", institution_credit_code: str = "", anchors_pem: str = "") -> ProvinceStatus:
    """Record whom to trust for ``code``'s records (a province, or "national" on a province)."""
    if code != NATIONAL and not (len(code) == 2 and code.isdigit()):
        raise EnrolmentError(f"code: {code!r} is neither a two-digit GB/T 2260 province code nor {NATIONAL!r}")
    if code == NATIONAL and not institution_credit_code:
        raise EnrolmentError("institution: the national centre's institution (credit code) must be named")
    if anchors_pem.strip():
        try:
            if not pki.load_certificates(anchors_pem.encode("ascii")):
                raise ValueError("no certificate found")
        except (ValueError, UnicodeEncodeError) as exc:
            raise EnrolmentError(f"anchors: not PEM certificates ({exc})") from None
    status, _ = ProvinceStatus.objects.get_or_create(code=code)
    status.name = name or status.name or province_name(code)
    status.institution_credit_code = institution_credit_code
    status.anchors_pem = anchors_pem.strip()
    status.save(update_fields=["name", "institution_credit_code", "anchors_pem"])
    return status


def apply_lines(lines: Iterable[bytes], *, source: str = "") -> Counter:
    """Apply JSON-lines records (one record a line; blank lines skipped); the outcomes counted."""
    outcomes: Counter = Counter()
    for number, line in enumerate(lines, start=1):
        if number > MAX_FILE_RECORDS:
            raise ValueError(f"{source}: more than {MAX_FILE_RECORDS} records in one file")
        line = line.strip()
        if line:
            outcomes[apply_record(line)] += 1
    return outcomes


def apply_file(path: Path) -> Counter:
    with path.open("rb") as handle:
        return apply_lines(handle, source=str(path))


def health(status: ProvinceStatus, now: dt.datetime | None = None) -> str:
    """ "healthy", "lagging" (records waiting), "silent" (nothing for SILENT_AFTER) or "never"."""
    now = now or timezone.now()
    if status.last_seen_at is None:
        return "never"
    if now - status.last_seen_at > SILENT_AFTER:
        return "silent"
    return "lagging" if status.lag > 0 else "healthy"


def status_rows(now: dt.datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    since = now - dt.timedelta(days=1)
    refused = Counter(RefusedRecord.objects.filter(received_at__gte=since).values_list("province", flat=True))
    return [
        {
            "status": s,
            "name": s.name or province_name(s.code),
            "lag": s.lag,
            "health": health(s, now),
            "refused_today": refused.get(s.code, 0),
            "delay": (s.last_applied_at - s.last_signed_at).total_seconds() if s.last_applied_at and s.last_signed_at else None,
        }
        for s in ProvinceStatus.objects.order_by("code")
    ]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def coverage_rows(queryset) -> dict:
    """Per province and for the nation: mandatory items in use and covered, instruments and
    traceable ones, with the rates (the nation's are sums over provinces, not an average of
    their rates)."""
    rows = []
    totals = {"items": 0, "covered": 0, "instruments": 0, "traceable": 0}
    for c in queryset.order_by("province"):
        rows.append(
            {
                "province": c.province,
                "name": province_name(c.province),
                "as_of": c.as_of,
                "items": c.items,
                "covered": c.covered,
                "coverage_rate": _rate(c.covered, c.items),
                "instruments": c.instruments,
                "traceable": c.traceable,
                "traceable_share": _rate(c.traceable, c.instruments),
                "indicators": c.indicators,
            }
        )
        for key in totals:
            totals[key] += getattr(c, key)
    national = {
        **totals,
        "provinces": len(rows),
        "coverage_rate": _rate(totals["covered"], totals["items"]),
        "traceable_share": _rate(totals["traceable"], totals["instruments"]),
    }
    return {"rows": rows, "national": national}


def all_coverage():
    return FederatedCoverage.objects.all()
