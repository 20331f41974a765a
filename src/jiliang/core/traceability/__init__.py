"""Traceability over arrays: chain validity at a date, chains, and reverse-traceability impact.

Can every item's result be traced, through valid calibrations, to a primary standard? And
when a standard is found out of tolerance, which results downstream are in doubt? The
engine answers both for a whole province from plain NumPy arrays, with no loop per item.

Input format (what a database loader fills with bulk ``values_list`` reads)
===========================================================================

Dates are ``int32`` days since 1970-01-01 (``date.toordinal() - 719163``). Intervals are
half-open ``[from, until)``; an open end is ``DATE_MAX``. Items and standards are dense
indices ``0..n-1`` that the loader assigns (keep its own pk arrays to map back); every index
array below is validated and a bad one raises ``TraceabilityInputError`` (a ValueError)
naming the field.

``n_items`` - number of items: instruments *and* the devices that make up standards
(计量标准器具), i.e. every thing that gets calibrated or verified.

``StandardsTable`` (measurement standards 计量标准, plus primary standards 计量基准 and
recorded foreign / international sources, which are the roots):

=====================  ===========  =======================================================
field                  dtype/shape  meaning
=====================  ===========  =======================================================
n_standards            int          number of standards
device_indptr          int64 [S+1]  CSR: devices of standard s are
device_indices         int64 [nnz]    ``device_indices[device_indptr[s]:device_indptr[s+1]]``
                                      (item indices; an item may belong to several standards)
is_root                bool [S]     primary standard or foreign/international source: its
                                      devices are not traced further
approval_standard      int64 [A]    assessment certificates (计量标准考核证书; for a root its
approval_from          int32 [A]      own certificate, or [DATE_MIN, DATE_MAX) if it needs
approval_until         int32 [A]      none): s is approved at t when any row covers t
status_standard        int64 [H]    status history (optional): at t the row of s with the
status_from            int32 [H]      latest ``from <= t`` decides if ``t < until``; otherwise
status_until           int32 [H]      the standard is active. Codes: 0 active,
status_code            int8  [H]      1 suspended (暂停), 2 cancelled (撤销)
oot_standard           int64 [W]    windows in which the standard was out of tolerance
oot_from, oot_until    int32 [W]      (optional; more are added by mark_out_of_tolerance)
=====================  ===========  =======================================================

``EventBatch`` (calibrations 校准 and verifications 检定 of items). Any order is accepted;
read them ``ORDER BY item, date`` and the engine keeps the arrays as they are (no sort, no
copy), which at 3x10^7 events saves seconds and gigabytes. Integer columns may be int32.

=====================  ===========  =======================================================
item                   int64 [E]    the item calibrated
date                   int32 [E]    date of the event
valid_until            int32 [E]    end of validity (exclusive; 有效期至 + 1 day)
passed                 bool  [E]    verification passed / calibration accepted
standard_indptr        int64 [E+1]  CSR: standards used by event e are
standard_indices       int64 [nnz]    ``standard_indices[standard_indptr[e]:standard_indptr[e+1]]``
range_ok               bool  [E]    optional (True): the standards' capability covered the
                                      item's range
uncertainty_ratio      float [E]    optional (NaN = unknown): item MPE or uncertainty over
                                      the standard's uncertainty
required_ratio         float [E]    optional (3.0): the specification's minimum ratio
revoked                bool  [E]    optional (False): certificate revoked
event_id               int64 [E]    optional (0..E-1): the loader's pk, reported back
certificate            int64 [E]    optional (-1): certificate pk, shown in chains
uncertainty            float [E]    optional (NaN): expanded uncertainty, shown in chains
=====================  ===========  =======================================================

Semantics
=========

* The *current event* of an item at D is its latest event with ``date <= D`` (ties: the
  later row, i.e. the one appended last). The item is traceable at D when that event exists,
  ``D < valid_until``, it passed, is not revoked, and its stored verdict has no error bit.
* An event that records no standard is NO_STANDARD, unless its item is a device of a root
  (a primary standard's own checks need nothing above them).
* The *stored verdict* of an event e on its own date t: every standard s it used is
  approved at t, active at t, not in an out-of-tolerance window at t, its range was
  covered, and, unless s is a root, every device of s has a current event at t that is
  unexpired at t, passed, not revoked, and whose own stored verdict is clean. Verdicts are
  solved by levels over the event graph; a cycle sets CYCLE on every event that reaches it.
  The events of standards' devices are solved when the engine is built; the others (nothing
  depends on them) when a question first needs them, from each standard's verdict timeline
  (it changes only at approvals, status changes, doubt windows and its devices' calibrations
  and expiries). ``engine.flags`` / ``engine.best`` solve whatever is left.
* The *break location* is the nearest break above the item: the minimum of
  (depth, kind, index) where kind 0 is an item and 1 a standard, depth counts calibration
  links above the item's own event.
* Impact of a standard over [from, to]: events performed with it on those dates, then
  breadth first every event performed with a standard while one of the events already in
  doubt was its device's current calibration.

Results: ``Validity`` holds per item ``valid``, ``flags`` (``Reason`` bits), ``event`` (engine
row of the current event; ``engine.event_id[row]`` is the loader's id), ``break_kind``,
``break_index``, ``break_depth``. ``Impact`` holds per affected event ``events``,
``event_ids``, ``depth``, ``parent`` (engine row) and ``items``, plus ``by_owner`` /
``by_region`` (``GroupCounts``: a mapping key -> (events, distinct items), backed by the
arrays ``group_keys``, ``n_events``, ``n_items``) when ``item_owner`` / ``item_region`` arrays (one entry per item) are given.

Use::

    engine = TraceabilityEngine(n_items, standards, events)
    v = engine.validity_at(day)              # Validity: valid, flags, break location per item
    engine.chain(item, day)                  # Chain with ordered ChainLinks, break marked
    engine.impact(s, d1, d2, owner, region)  # Impact: events, depth, parent, groups
    engine.append_events(batch)              # incremental refresh
    engine.revoke_events(rows); engine.mark_out_of_tolerance(s, d1, d2)
    validity_summary(v, region_of_item)      # traceable share and top reasons per region
"""

from .data import DATE_MAX, DATE_MIN, EventBatch, StandardsTable, TraceabilityInputError
from .engine import Chain, ChainLink, GroupCounts, Impact, TraceabilityEngine, Validity, validity_summary
from .reasons import ERROR_MASK, STATUS_ACTIVE, STATUS_CANCELLED, STATUS_SUSPENDED, Reason, describe

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "ERROR_MASK",
    "STATUS_ACTIVE",
    "STATUS_CANCELLED",
    "STATUS_SUSPENDED",
    "Chain",
    "ChainLink",
    "EventBatch",
    "GroupCounts",
    "Impact",
    "Reason",
    "StandardsTable",
    "TraceabilityEngine",
    "TraceabilityInputError",
    "Validity",
    "describe",
    "validity_summary",
]
