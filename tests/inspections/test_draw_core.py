"""The draw of docs/draws.md: the reference implementation against a second one written
from the text alone (below, importing nothing of the project), and the sensitivity of the
result to every input."""

from __future__ import annotations

import copy
import hashlib
import json
import math
from decimal import Decimal

import pytest

from jiliang.core import draws

SEED = "5f" * 32
PUBLIC = "ledger:812:" + "ab" * 32 + ";external:07 12 19 23 30 33+05"


def _plan():
    return {
        "title": "2026 加油站计量专项检查",
        "region": "330100",
        "kind": "fuel_station",
        "population": [{"id": i, "grade": "ABCD"[i % 4]} for i in range(1, 41)],
        "sample": {"A": "0.1", "B": 2, "C": "0.25", "D": "0.5"},
        "inspectors": [{"id": j, "excluded": [i for i in range(1, 41) if (i + j) % 7 == 0]} for j in range(1, 8)],
        "inspectors_per_target": 2,
    }


def independent_draw(plan: dict, seed: str, public: str) -> tuple[str, str, list[dict]]:
    """docs/draws.md §1–3, written from the text."""

    def h(b: bytes) -> str:
        return hashlib.sha256(b).hexdigest()

    text = json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    plan_hash = h(text.encode("utf-8"))
    commit = h((plan_hash + h(seed.encode("ascii"))).encode("ascii"))

    def key(*parts):
        return h("|".join(map(str, parts)).encode("utf-8"))

    picked = []
    for grade in "ABCD":
        members = sorted(
            (key(seed, public, plan_hash, "target", t["id"]), t["id"]) for t in plan["population"] if t["grade"] == grade
        )
        spec = plan["sample"].get(grade, 0)
        k = min(spec, len(members)) if isinstance(spec, int) else math.ceil(Decimal(spec) * len(members))
        picked += [(t, grade) for _, t in members[:k]]
    result = []
    for target, grade in sorted(picked):
        pool = sorted(
            (key(seed, public, plan_hash, "inspector", target, i["id"]), i["id"])
            for i in plan["inspectors"]
            if target not in i["excluded"]
        )
        result.append({"target": target, "grade": grade, "inspectors": [i for _, i in pool[: plan["inspectors_per_target"]]]})
    return plan_hash, commit, result


def test_the_draw_equals_an_independent_implementation_of_the_spec():
    plan = _plan()
    plan_hash, commit, expected = independent_draw(plan, SEED, PUBLIC)
    assert draws.plan_hash(plan) == plan_hash
    assert draws.commitment(plan_hash, SEED) == commit
    assert draws.result_of(draws.draw(plan, SEED, PUBLIC)) == expected
    # Strata: A 10 targets at 0.1 → 1; B count 2; C 10 at 0.25 → ceil 2.5 = 3; D 10 at 0.5 → 5.
    by_grade = {g: sum(1 for r in expected if r["grade"] == g) for g in "ABCD"}
    assert by_grade == {"A": 1, "B": 2, "C": 3, "D": 5}
    # Conflicts: no drawn target is inspected by an officer who is excluded from it.
    barred = {i["id"]: set(i["excluded"]) for i in plan["inspectors"]}
    assert all(r["target"] not in barred[i] for r in expected for i in r["inspectors"])
    assert all(len(r["inspectors"]) == 2 for r in expected)


@pytest.mark.parametrize(
    "change",
    [
        lambda p, s, v: (p, "6f" * 32, v),
        lambda p, s, v: (p, s, v + "1"),
        lambda p, s, v: ({**p, "title": p["title"] + "!"}, s, v),
        lambda p, s, v: ({**p, "population": [*p["population"][:-1], {"id": 40, "grade": "C"}]}, s, v),
        lambda p, s, v: ({**p, "population": p["population"][1:]}, s, v),
    ],
    ids=["seed", "public value", "title", "a grade", "population"],
)
def test_changing_any_input_changes_the_result(change):
    plan = _plan()
    before = draws.result_of(draws.draw(plan, SEED, PUBLIC))
    plan2, seed2, public2 = change(copy.deepcopy(plan), SEED, PUBLIC)
    after = draws.result_of(draws.draw(plan2, seed2, public2))
    assert after != before
    assert independent_draw(plan2, seed2, public2)[2] == after


def _document():
    plan = _plan()
    h = draws.plan_hash(plan)
    return {
        "format": draws.FORMAT,
        "plan": plan,
        "plan_hash": h,
        "commitment": draws.commitment(h, SEED),
        "seed": SEED,
        "public_value": PUBLIC,
        "result": draws.result_of(draws.draw(plan, SEED, PUBLIC)),
    }


def test_verify_matches_and_names_each_difference():
    document = _document()
    assert draws.verify(document) == []
    forged = copy.deepcopy(document)
    forged["result"][0]["inspectors"].reverse()
    assert [d for d in draws.verify(forged) if d.startswith(f"result: target {forged['result'][0]['target']}")]
    reseeded = {**copy.deepcopy(document), "seed": "00" * 32}
    assert any(d.startswith("commitment:") for d in draws.verify(reseeded))
    regraded = copy.deepcopy(document)
    regraded["plan"]["population"][0]["grade"] = "A" if regraded["plan"]["population"][0]["grade"] != "A" else "B"
    assert any(d.startswith("plan_hash:") for d in draws.verify(regraded))


def test_a_bad_plan_is_refused_naming_the_field():
    plan = _plan()
    plan["population"][3] = {"id": 4, "grade": "E"}
    with pytest.raises(draws.DrawError) as caught:
        draws.draw(plan, SEED, PUBLIC)
    assert caught.value.field == "plan.population[3]"
    plan = _plan()
    plan["sample"]["A"] = 0.1  # a float rate: ambiguous, the spec wants a decimal string
    with pytest.raises(draws.DrawError) as caught:
        draws.draw(plan, SEED, PUBLIC)
    assert caught.value.field == "plan.sample.A"
