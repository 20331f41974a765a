"""Due dates, reminders, overdue escalation and end-of-life replacement, set-based.

The due date of an instrument is the ``valid_until`` of its latest verification: for a
periodic item that is the end of the period (a failed verification ends validity on its
own date); for a first-verification-only item (water, gas, electricity meters) it is the
end of the service life, when the meter is replaced rather than re-verified. An instrument
never verified is due from its installation. The instrument row keeps that date
(``Instrument.verified_until``, maintained by its events), so one scan of the instruments
gives every due date; the rest is NumPy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from jiliang.registry import bulk
from jiliang.registry import models as reg

from .coverage import mandatory_in_use
from .models import Notice, Reminder

DEFAULT_STAGES = (60, 30, 7)


def reminder_stages() -> tuple[int, ...]:
    stages = tuple(sorted({int(s) for s in getattr(settings, "JILIANG_REMINDER_STAGES", DEFAULT_STAGES)}, reverse=True))
    if not stages or stages[-1] <= 0:
        raise ValueError(f"JILIANG_REMINDER_STAGES: needs positive day counts, got {stages!r}")
    return stages


def due_on(instrument_path: str = ""):
    """The due date of an instrument (``instrument_path``: the way to it, e.g. "instrument__")."""
    return Coalesce(F(f"{instrument_path}verified_until"), F(f"{instrument_path}installed_on"))


def with_due_dates(queryset=None):
    """Mandatory instruments in use, annotated with ``due_on``."""
    return mandatory_in_use(queryset).annotate(due_on=due_on())


def _region_filter(queryset, region_code: str | None):
    if not region_code:
        return queryset
    region = reg.Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValueError("region: " + gettext("没有代码为 %(code)s 的区划") % {"code": region_code})
    # By region id (the (region, catalog_item) index), not a join filtered on the code.
    inside = reg.Region.objects.filter(code__startswith=region.descendant_codes_prefix()).values_list("id", flat=True)
    return queryset.filter(region_id__in=list(inside))


@dataclass
class DueArrays:
    """Instruments due by a horizon, as columns."""

    as_of: dt.date
    horizon: dt.date
    ids: np.ndarray
    region_ids: np.ndarray
    item_ids: np.ndarray
    owner_ids: np.ndarray
    due_on: np.ndarray  # datetime64[D]; an instrument with no date at all is due today
    replacement: np.ndarray  # bool: a first-verification-only item at end of life

    @property
    def days_left(self) -> np.ndarray:
        return (self.due_on - np.datetime64(self.as_of, "D")).astype(np.int64)

    @property
    def overdue(self) -> np.ndarray:
        return self.days_left < 0


def due_arrays(
    as_of: dt.date | None = None, days: int = 30, region_code: str | None = None, owner_id: int | None = None
) -> DueArrays:
    """Every mandatory instrument in use (of one owner, if given) whose due date falls
    before as_of + days (overdue ones included), with one query."""
    if days < 0:
        raise ValueError(f"days: must be zero or more, got {days}")
    as_of = as_of or timezone.localdate()
    horizon = as_of + dt.timedelta(days=days)
    qs = _region_filter(with_due_dates(), region_code)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    rows = list(
        qs.filter(Q(due_on__isnull=True) | Q(due_on__lte=horizon))
        .values_list("id", "region_id", "catalog_item_id", "owner_id", "due_on", "catalog_item__management_mode")
        .order_by()
    )
    if rows:
        ids, region_ids, item_ids, owner_ids, due, mode = zip(*rows)
    else:
        ids = region_ids = item_ids = owner_ids = due = mode = ()
    due_on = np.array(due, dtype="datetime64[D]")
    due_on[np.isnat(due_on)] = np.datetime64(as_of, "D")  # neither verified nor dated: due now
    return DueArrays(
        as_of,
        horizon,
        np.array(ids, dtype=np.int64),
        np.array(region_ids, dtype=np.int64),
        np.array(item_ids, dtype=np.int64),
        np.array(owner_ids, dtype=np.int64),
        due_on,
        np.array(mode, dtype=object) == reg.CatalogItem.Mode.FIRST_ONLY,
    )


@dataclass
class DueSummary:
    as_of: dt.date
    days: int
    region: str | None
    overdue: int
    due: int
    replacement: int
    by_region: list[dict]
    instruments: list[dict]

    def to_json(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "days": self.days,
            "region": self.region,
            "overdue": self.overdue,
            "due": self.due,
            "replacement": self.replacement,
            "by_region": self.by_region,
            "instruments": self.instruments,
        }


def due_list(
    as_of: dt.date | None = None, days: int = 30, region_code: str | None = None, limit: int = 50, owner_id: int | None = None
) -> DueSummary:
    """The due list (到期) and overdue list (超期未检): counts per region and the most urgent
    instruments (``limit`` of them, overdue first)."""
    as_of = as_of or timezone.localdate()
    arrays = due_arrays(as_of, days, region_code, owner_id)
    overdue = arrays.overdue
    replacement = arrays.replacement & ~overdue
    due = ~overdue & ~replacement
    regions = {rid: (code, name) for rid, code, name in reg.Region.objects.values_list("id", "code", "name")}
    uniq, inverse = np.unique(arrays.region_ids, return_inverse=True)
    per_region = [
        np.bincount(inverse, weights=flag, minlength=uniq.size).astype(np.int64) for flag in (overdue, due, replacement)
    ]
    by_region = [
        {
            "code": regions[rid][0],
            "name": regions[rid][1],
            "overdue": int(per_region[0][k]),
            "due": int(per_region[1][k]),
            "replacement": int(per_region[2][k]),
        }
        for k, rid in enumerate(uniq.tolist())
    ]
    by_region.sort(key=lambda r: r["code"])
    order = np.argsort(arrays.days_left, kind="stable")[:limit]
    picked = arrays.ids[order].tolist()
    details = {
        row[0]: row
        for row in reg.Instrument.objects.filter(id__in=picked).values_list(
            "id", "code", "name", "catalog_item__code", "owner__name", "region__code"
        )
    }
    instruments = []
    for k in order.tolist():
        _, code, name, item, owner, region = details[int(arrays.ids[k])]
        kind = "overdue" if overdue[k] else ("replacement" if replacement[k] else "due")
        instruments.append(
            {
                "code": code,
                "name": name,
                "item": item,
                "owner": owner,
                "region": region,
                "due_on": str(arrays.due_on[k]),
                "days_left": int(arrays.days_left[k]),
                "kind": kind,
            }
        )
    return DueSummary(
        as_of, days, region_code, int(overdue.sum()), int(due.sum()), int(replacement.sum()), by_region, instruments
    )


def replacement_list(as_of: dt.date | None = None, days: int = 90, region_code: str | None = None) -> list[int]:
    """Ids of first-verification-only instruments reaching the end of their service life
    within the horizon (or past it): the end-of-life replacement list (到期轮换)."""
    arrays = due_arrays(as_of, days, region_code)
    return arrays.ids[arrays.replacement].tolist()


def _keys(instrument_ids: np.ndarray, days: np.ndarray, stage_index: np.ndarray | None = None) -> np.ndarray:
    """One int64 per (instrument, stage, due date) for set operations in NumPy (due dates
    as days since 1970 fit 16 bits until 2149)."""
    key = (instrument_ids.astype(np.int64) << 24) | days.astype("datetime64[D]").astype(np.int64)
    if stage_index is not None:
        key |= stage_index.astype(np.int64) << 16
    return key


def _existing(queryset, **fields) -> list[np.ndarray]:
    """Columns of the rows already written, each with its dtype (fields: name=dtype)."""
    rows = list(queryset.values_list(*fields))
    return [np.array([r[k] for r in rows], dtype=dtype) for k, dtype in enumerate(fields.values())]


@transaction.atomic
def send_reminders(as_of: dt.date | None = None, region_code: str | None = None) -> int:
    """Remind owners of instruments coming due, at the tightest stage reached (60, 30, 7
    days by default). Each (instrument, stage, due date) is sent once; a moved due date
    arms every stage again. Returns the number of reminders sent."""
    as_of = as_of or timezone.localdate()
    stages = np.array(reminder_stages(), dtype=np.int64)
    arrays = due_arrays(as_of, int(stages[0]), region_code)
    left = arrays.days_left
    upcoming = left >= 0
    ids, owners, due, left = arrays.ids[upcoming], arrays.owner_ids[upcoming], arrays.due_on[upcoming], left[upcoming]
    # Stages are descending: the tightest stage reached is the last one with left <= stage.
    reached = (left[:, None] <= stages[None, :]).sum(axis=1) - 1
    sent_ids, sent_stage, sent_due = _existing(
        Reminder.objects.filter(due_on__gte=as_of, due_on__lte=arrays.horizon),
        instrument_id=np.int64,
        stage=np.int64,
        due_on="datetime64[D]",
    )
    sent_index = np.searchsorted(-stages, -sent_stage)  # stage value -> its index in the descending stages
    fresh = ~np.isin(_keys(ids, due, reached), _keys(sent_ids, sent_due, sent_index))
    n = int(fresh.sum())
    bulk.write_columns(
        "verification_reminder",
        ["instrument_id", "stage", "due_on", "recipient_id", "sent_on"],
        [
            ids[fresh],
            stages[reached[fresh]],
            due[fresh].astype(str),
            owners[fresh],
            [as_of.isoformat()] * n,
        ],
    )
    return n


def administration_of(region_ids) -> dict[int, int]:
    """The administration (计量行政部门) responsible for each region: the region's own, else
    the nearest ancestor's."""
    parents = dict(reg.Region.objects.values_list("id", "parent_id"))
    admins = dict(
        reg.Organisation.objects.filter(kind=reg.Organisation.Kind.ADMINISTRATION).order_by("-id").values_list("region_id", "id")
    )
    out = {}
    for rid in set(region_ids):
        node = rid
        while node is not None and node not in admins:
            node = parents.get(node)
        if node is not None:
            out[rid] = admins[node]
    return out


@transaction.atomic
def escalate_overdue(as_of: dt.date | None = None, region_code: str | None = None) -> int:
    """Notify the region's administration of every overdue instrument (超期未检), once per
    due date. Returns the number of notices issued."""
    as_of = as_of or timezone.localdate()
    arrays = due_arrays(as_of, 0, region_code)
    late = arrays.overdue
    ids, regions, due = arrays.ids[late], arrays.region_ids[late], arrays.due_on[late]
    if not ids.size:
        return 0
    unique_regions, region_index = np.unique(regions, return_inverse=True)
    admin = administration_of(unique_regions.tolist())
    addressee = np.array([admin.get(r, -1) for r in unique_regions.tolist()], dtype=np.int64)[region_index]
    earliest = due.min().astype(object)
    done_ids, done_due = _existing(
        Notice.objects.filter(kind=Notice.Kind.OVERDUE, due_on__gte=earliest, due_on__lt=as_of),
        instrument_id=np.int64,
        due_on="datetime64[D]",
    )
    fresh = ~np.isin(_keys(ids, due), _keys(done_ids, done_due)) & (addressee >= 0)
    n = int(fresh.sum())
    due_text = due[fresh].astype(str)
    bulk.write_columns(
        "verification_notice",
        ["kind", "addressee_id", "region_id", "instrument_id", "catalog_item_id", "due_on", "issued_on", "text"],
        [
            [Notice.Kind.OVERDUE.value] * n,
            addressee[fresh],
            regions[fresh],
            ids[fresh],
            arrays.item_ids[late][fresh],
            due_text,
            [as_of.isoformat()] * n,
            np.char.add("超期未检 overdue since ", due_text),
        ],
    )
    return n
