"""The ranking core (jiliang.core.matching) against its stated rule, and the vectorised
ranking against a plain per-need loop written from the same rule (random small worlds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jiliang.core import matching as m


def _needs(**over):
    base = dict(
        quantity=[1],
        unit=[0],
        low=[0.0],
        high=[10.0],
        kind=[m.U_ABSOLUTE],
        value=[0.1],
        ratio=[3.0],
        mandatory=[False],
        region=[330102],
        days=[30],
        count=[1],
    )
    base.update(over)
    return m.Needs(**base)


def _offers(rows):
    keys = ("provider", "quantity", "unit", "low", "high", "u", "relative", "region", "turnaround", "fee")
    return m.Offers(**{k: [r[i] for r in rows] for i, k in enumerate(keys)})


def test_the_decision_rule_of_an_mpe_need_is_the_ratio_of_jjf_1094():
    # MPE 0.3 and U 0.1: TUR = 3, enough for 1:3 (JJF 1094-2002 §7), not for 1:4.
    offers = _offers([(7, 1, 0, 0, 10, 0.1, False, 330102, 5, 100)])
    at3 = m.rank(_needs(kind=[m.MPE_ABSOLUTE], value=[0.3], ratio=[3.0]), offers)
    at4 = m.rank(_needs(kind=[m.MPE_ABSOLUTE], value=[0.3], ratio=[4.0]), offers)
    assert at3.provider[0, 0] == 7 and at3.ratio[0, 0] == pytest.approx(3.0)
    assert at3.factors[0, 0, 0] == pytest.approx(0.5)  # meeting the rule exactly: half the capability score
    assert at4.provider[0, 0] == -1 and at4.capable[0] == 0


def test_an_uncertainty_need_is_met_by_an_offered_u_not_larger():
    offers = _offers([(1, 1, 0, 0, 10, 0.1, False, 330102, 5, 100), (2, 1, 0, 0, 10, 0.11, False, 330102, 5, 100)])
    ranking = m.rank(_needs(value=[0.1]), offers)
    assert ranking.provider[0].tolist()[:2] == [1, -1]


def test_relative_and_absolute_compare_at_the_end_of_the_range_farthest_from_zero():
    # 0.1 % of 200 = 0.2 ≤ required 0.25 (absolute); at 250 it would be 0.25 – still fine; 0.2 % fails.
    offers = _offers([(1, 1, 0, -300, 300, 0.001, True, 330102, 5, 100), (2, 1, 0, -300, 300, 0.002, True, 330102, 5, 100)])
    ranking = m.rank(_needs(low=[-200.0], high=[100.0], value=[0.25]), offers)
    assert ranking.provider[0, 0] == 1 and ranking.ratio[0, 0] == pytest.approx(0.25 / 0.2)
    assert ranking.provider[0, 1] == -1
    # A relative need against an absolute offer: 0.05 % of 200 = 0.1 required, 0.05 offered.
    rel = m.rank(
        _needs(low=[0.0], high=[200.0], kind=[m.U_RELATIVE], value=[0.0005]),
        _offers([(3, 1, 0, 0, 300, 0.05, False, 330102, 5, 1)]),
    )
    assert rel.ratio[0, 0] == pytest.approx(2.0)


def test_range_unit_quantity_deadline_and_authorisation_are_hard_rules():
    offers = _offers(
        [
            (1, 1, 0, 1, 10, 0.01, False, 330102, 5, 100),  # range starts above the need's
            (2, 1, 1, 0, 10, 0.01, False, 330102, 5, 100),  # another unit
            (3, 2, 0, 0, 10, 0.01, False, 330102, 5, 100),  # another quantity
            (4, 1, 0, 0, 10, 0.01, False, 330102, 40, 100),  # too slow for the deadline
            (5, 1, 0, 0, 10, 0.01, False, 330102, 5, 100),
        ]
    )
    asked = []

    def authorised(rows, providers):
        asked.append(providers.tolist())
        return providers == 4

    plain = m.rank(_needs(), offers, authorised=authorised)
    assert plain.provider[0].tolist() == [5, -1, -1, -1, -1] and plain.capable[0] == 2 and plain.candidates[0] == 1
    assert asked == []  # the authorisation rule is asked for mandatory needs only
    mandatory = m.rank(_needs(mandatory=[True]), offers, authorised=authorised)
    assert sorted(asked[0]) == [4, 5]  # only providers whose capability passed
    assert mandatory.capable[0] == 1 and mandatory.candidates[0] == 0  # 4 is authorised but too slow
    assert m.rank(_needs(mandatory=[True]), offers).capable[0] == 0  # no rule given: nobody


def test_factors_and_order():
    offers = _offers(
        [
            (10, 1, 0, 0, 10, 0.05, False, 330102, 10, 300),  # same county, dear
            (11, 1, 0, 0, 10, 0.05, False, 330100, 10, 100),  # elsewhere in the city, cheap
            (11, 1, 0, 0, 10, 0.01, False, 330100, 10, 100),  # its better capability is the one judged
            (12, 1, 0, 0, 10, 0.05, False, 110000, 10, 100),  # another province
        ]
    )
    ranking = m.rank(_needs(count=[2], days=[20]), offers, weights=m.Weights(1, 1, 1, 1))
    assert ranking.provider[0, :3].tolist() == [11, 10, 12]
    assert ranking.offer[0, 0] == 2 and ranking.ratio[0, 0] == pytest.approx(10.0)
    assert ranking.tier[0, :3].tolist() == [1, 0, 3]
    assert ranking.total_fee[0, :3].tolist() == [200, 600, 200]
    f = ranking.factors[0]
    assert f[0].tolist() == pytest.approx([1.0, 2 / 3, 0.5, 1.0])
    assert f[1].tolist() == pytest.approx([1.0, 1.0, 0.5, 1 / 3])
    assert f[2].tolist() == pytest.approx([1.0, 0.0, 0.5, 1.0])
    assert ranking.score[0, 0] == pytest.approx(sum(f[0]) / 4)


def _reference(needs: m.Needs, offers: m.Offers, top: int, authorised):
    """The rule as a per-need loop, as a reader of the module docstring would write it."""
    w = m.Weights().as_array()
    out = []
    for i in range(len(needs)):
        best: dict[int, tuple] = {}
        x = max(abs(needs.low[i]), abs(needs.high[i]))
        rel_need = needs.kind[i] in (m.U_RELATIVE, m.MPE_RELATIVE)
        threshold = needs.ratio[i] if needs.kind[i] >= m.MPE_ABSOLUTE else 1.0
        for j in range(len(offers)):
            if offers.quantity[j] != needs.quantity[i] or offers.unit[j] != needs.unit[i]:
                continue
            if not (offers.low[j] <= needs.low[i] and needs.high[i] <= offers.high[j]):
                continue
            required = needs.value[i] * x if rel_need else needs.value[i]
            offered = offers.u[j] * x if offers.relative[j] else offers.u[j]
            if offered <= 0:
                continue
            margin = required / offered / threshold
            if margin < 1 - 1e-9:
                continue
            cap = min(1.0, max(0.0, 0.5 + 0.5 * math.log2(max(margin, 1.0))))
            p = int(offers.provider[j])
            if p not in best or margin > best[p][2]:
                best[p] = (cap, j, margin)
        rows = []
        for p, (cap, j, _) in best.items():
            if needs.mandatory[i] and not authorised(np.array([i]), np.array([p]))[0]:
                continue
            if offers.turnaround[j] > needs.days[i]:
                continue
            rows.append((p, cap, j))
        if not rows:
            out.append([])
            continue
        fees = {p: offers.fee[j] * needs.count[i] for p, _, j in rows}
        cheapest = min(fees.values())
        scored = []
        for p, cap, j in rows:
            a, b = needs.region[i], offers.region[j]
            tier = 0 if a == b else 1 if a // 100 == b // 100 else 2 if a // 10000 == b // 10000 else 3
            slack = min(1.0, max(0.0, 1 - offers.turnaround[j] / max(needs.days[i], 1)))
            fee = cheapest / fees[p] if fees[p] > 0 else 1.0
            scored.append((float(np.dot(w, [cap, 1 - tier / 3, slack, fee])), p))
        scored.sort(key=lambda s: (-round(s[0], 9), s[1]))
        out.append(scored[:top])
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_vectorised_ranking_equals_the_per_need_loop(seed):
    rng = np.random.default_rng(seed)
    n, c = 300, 120
    regions = np.array([330102, 330103, 330201, 330100, 330000, 110101])
    offers = m.Offers(
        provider=rng.integers(1, 40, c),
        quantity=rng.integers(1, 4, c),
        unit=rng.integers(0, 2, c),
        low=rng.choice([0.0, -10.0, 1.0], c),
        high=rng.choice([10.0, 100.0, 1000.0], c),
        u=rng.uniform(0.001, 0.5, c),
        relative=rng.random(c) < 0.3,
        region=rng.choice(regions, c),
        turnaround=rng.integers(3, 30, c),
        fee=rng.choice([0.0, 80.0, 150.0, 300.0], c),
    )
    # A provider's region, terms and fee are the same on all its rows (as the services load them).
    for name in ("region", "turnaround", "fee"):
        arr = getattr(offers, name)
        first = {}
        for j, p in enumerate(offers.provider.tolist()):
            arr[j] = first.setdefault(p, arr[j])
    needs = m.Needs(
        quantity=rng.integers(1, 4, n),
        unit=rng.integers(0, 2, n),
        low=rng.choice([0.0, 2.0], n),
        high=rng.choice([5.0, 50.0, 500.0], n),
        kind=rng.integers(0, 4, n),
        value=np.where(rng.random(n) < 0.5, rng.uniform(0.01, 2, n), rng.uniform(0.0005, 0.02, n)),
        ratio=rng.choice([3.0, 4.0], n),
        mandatory=rng.random(n) < 0.3,
        region=rng.choice(regions, n),
        days=rng.integers(1, 40, n),
        count=rng.integers(1, 5, n),
    )

    def authorised(rows, providers):
        return (providers + rows) % 3 != 0

    got = m.rank(needs, offers, top=4, authorised=authorised)
    want = _reference(needs, offers, 4, authorised)
    for i, expected in enumerate(want):
        k = len(expected)
        assert got.provider[i, :k].tolist() == [p for _, p in expected], i
        assert got.score[i, :k] == pytest.approx([s for s, _ in expected]), i
        assert (got.provider[i, k:] == -1).all()
