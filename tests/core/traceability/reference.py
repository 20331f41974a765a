"""A plain recursive reference implementation of the traceability rules, one item at a time.

Slow on purpose: dictionaries, recursion and breadth-first search, written straight from
the rules in the package docstring, to check the array engine on random graphs.
"""

from jiliang.core.traceability import Reason

R = Reason
ITEM, STANDARD = 0, 1


class Reference:
    def __init__(self, n_items, standards, events, oot=()):
        """standards: {s: dict(devices, root, approvals, status, oot)}; events: list of dicts
        (row = position in the list)."""
        self.n_items = n_items
        self.std = standards
        self.events = events
        self.extra_oot = list(oot)

    # -- facts about standards at t
    def approved(self, s, t):
        return any(f <= t < u for f, u in self.std[s].get("approvals", [(-(10**9), 10**9)]))

    def status(self, s, t):
        rows = [(f, u, c) for f, u, c in self.std[s].get("status", []) if f <= t]
        if not rows:
            return 0
        f, u, c = max(rows, key=lambda r: r[0])  # latest start; ties: last listed
        latest = [r for r in rows if r[0] == f][-1]
        return latest[2] if t < latest[1] else 0

    def out_of_tolerance(self, s, t):
        windows = list(self.std[s].get("oot", [])) + [(f, u) for x, f, u in self.extra_oot if x == s]
        return any(f <= t < u for f, u in windows)

    def current(self, item, t):
        best = None
        for row, e in enumerate(self.events):
            if e["item"] == item and e["date"] <= t:
                if best is None or (e["date"], row) >= (self.events[best]["date"], best):
                    best = row
        return best

    def bad_event(self, row, t):
        e = self.events[row]
        return t >= e["until"] or not e.get("passed", True) or e.get("revoked", False)

    # -- one event's own facts
    def direct(self, row):
        """(flags, break keys at this event, dependency rows)."""
        e = self.events[row]
        t = e["date"]
        flags, keys, deps = 0, [], []
        ratio = e.get("ratio", float("nan"))
        if ratio < e.get("required", 3.0):
            flags |= R.WARN_UNCERTAINTY_RATIO
        if not e.get("range_ok", True):
            flags |= R.RANGE_NOT_COVERED
            keys.append((ITEM, e["item"]))
        root_device = any(e["item"] in spec.get("devices", []) for spec in self.std.values() if spec.get("root"))
        if not e.get("stds") and not root_device:
            flags |= R.NO_STANDARD
            keys.append((ITEM, e["item"]))
        for s in e.get("stds", []):
            f = 0
            if not self.approved(s, t):
                f |= R.STANDARD_NOT_APPROVED
            code = self.status(s, t)
            if code == 1:
                f |= R.STANDARD_SUSPENDED
            if code == 2:
                f |= R.STANDARD_CANCELLED
            if self.out_of_tolerance(s, t):
                f |= R.STANDARD_OUT_OF_TOLERANCE
            spec = self.std[s]
            if not spec.get("root") and not spec.get("devices"):
                f |= R.UPSTREAM_BREAK
            if f:
                keys.append((STANDARD, s))
            flags |= f
            if spec.get("root"):
                continue
            for d in spec.get("devices", []):
                u = self.current(d, t)
                if u is None or self.bad_event(u, t):
                    flags |= R.UPSTREAM_BREAK
                    keys.append((ITEM, d))
                else:
                    deps.append(u)
        return flags, keys, deps

    def reach(self, row, seen=None):
        """Rows reachable from row through one or more dependencies (recursive DFS)."""
        if seen is None:
            seen = set()
        for u in self.direct(row)[2]:
            if u not in seen:
                seen.add(u)
                self.reach(u, seen)
        return seen

    def on_cycle(self, row):
        return row in self.reach(row)

    def nearest_break(self, row):
        """(depth, kind, index) of the nearest break, breadth first; None if none."""
        level, frontier, seen = 0, [row], {row}
        while frontier:
            keys = []
            for v in frontier:
                keys += self.direct(v)[1]
                if self.on_cycle(v):
                    keys.append((ITEM, self.events[v]["item"]))
            if keys:
                return (level,) + min(keys)
            nxt = []
            for v in frontier:
                for u in self.direct(v)[2]:
                    if u not in seen:
                        seen.add(u)
                        nxt.append(u)
            frontier, level = nxt, level + 1
        return None

    def verdict(self, row):
        flags, _, deps = self.direct(row)
        if any(self.nearest_break(u) is not None for u in deps):
            flags |= R.UPSTREAM_BREAK
        if any(self.on_cycle(v) for v in self.reach(row) | {row}):
            flags |= R.CYCLE
        return int(flags), self.nearest_break(row)

    def validity(self, item, day):
        row = self.current(item, day)
        if row is None:
            return False, int(R.NO_EVENT), (0, ITEM, item)
        e = self.events[row]
        flags, where = self.verdict(row)
        own = 0
        if day >= e["until"]:
            own |= R.EXPIRED
        if not e.get("passed", True):
            own |= R.FAILED
        if e.get("revoked", False):
            own |= R.REVOKED
        if own:
            where = (0, ITEM, item)
        flags |= own
        return (flags & 0xFFFF) == 0, int(flags), where

    def dependents(self, u):
        out = []
        for row, e in enumerate(self.events):
            for s in e.get("stds", []):
                spec = self.std[s]
                if spec.get("root"):
                    continue
                if any(self.current(d, e["date"]) == u for d in spec.get("devices", [])):
                    out.append(row)
                    break
        return out

    def impact(self, s, d1, d2):
        """{row: depth} breadth first from the events with s on d1..d2."""
        depth = {row: 0 for row, e in enumerate(self.events) if s in e.get("stds", []) and d1 <= e["date"] <= d2}
        frontier, level = list(depth), 0
        while frontier:
            level += 1
            nxt = []
            for u in frontier:
                for r in self.dependents(u):
                    if r not in depth:
                        depth[r] = level
                        nxt.append(r)
            frontier = nxt
        return depth
