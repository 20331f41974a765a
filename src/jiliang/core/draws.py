"""Verifiable random draws (双随机): targets by credit grade, inspectors by lot, conflicts excluded.

The exact specification is docs/draws.md; this module is its reference implementation and
the tests re-implement it independently from the text. Everything is a pure function of
the published plan, the seed revealed at the draw and the public value fixed after the
commitment (国发〔2019〕5号: random choice of targets and of inspectors, the draw and its
results published).

- ``canonical(obj)``: JSON, keys sorted, UTF-8, no spaces.
- ``plan_hash = SHA-256(canonical(plan))``, hex.
- ``commitment = SHA-256(ASCII(plan_hash + SHA-256(ASCII(seed))))``, hex: published before
  the draw with the plan (the seed stays secret until the draw).
- each target's key ``SHA-256(UTF-8(seed|public_value|plan_hash|target|id))``; per grade
  (stratum) the k smallest keys are drawn, k from the plan's count or rate (rounded up);
- each drawn target's inspectors: the ``inspectors_per_target`` eligible inspectors (not
  excluded for that target) with the smallest ``SHA-256(seed|public|plan_hash|inspector|target|inspector)``.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InputError

FORMAT = "jiliang-draw/1"
GRADES = ("A", "B", "C", "D")


class DrawError(InputError):
    """A plan or draw file that cannot be computed (field, reason, catalogue code)."""


def canonical(obj) -> bytes:
    """The one byte string of a JSON value: sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan_hash(plan: dict) -> str:
    return sha256_hex(canonical(plan))


def commitment(plan_hash_hex: str, seed: str) -> str:
    return sha256_hex((plan_hash_hex + sha256_hex(seed.encode("ascii"))).encode("ascii"))


def _key(*parts) -> str:
    return sha256_hex("|".join(str(p) for p in parts).encode("utf-8"))


def sample_size(spec, population: int) -> int:
    """k of a stratum: an integer count (at most the stratum), or a decimal rate written as a
    string, rounded up so a non-empty stratum with a positive rate is never skipped."""
    if isinstance(spec, bool):
        raise DrawError("sample", "a count or a rate", code="draw_sample_spec", got=spec)
    if isinstance(spec, int):
        if spec < 0:
            raise DrawError("sample", "must not be negative", code="must_not_be_negative", got=spec)
        return min(spec, population)
    try:
        rate = Decimal(str(spec))
    except InvalidOperation:
        raise DrawError("sample", "a count or a rate", code="draw_sample_spec", got=spec) from None
    if not isinstance(spec, str) or not rate.is_finite() or rate < 0 or rate > 1:
        raise DrawError("sample", "a rate is a decimal string from 0 to 1", code="draw_sample_spec", got=spec)
    return min(population, math.ceil(rate * population))


@dataclass(frozen=True)
class Drawn:
    target: int
    grade: str
    inspectors: tuple[int, ...]


def validate_plan(plan: dict) -> None:
    """The shape docs/draws.md prescribes; a refusal names the field."""
    if not isinstance(plan, dict):
        raise DrawError("plan", "must be an object", code="must_be_object")
    population = plan.get("population")
    if not isinstance(population, list):
        raise DrawError("plan.population", "a list of targets", code="draw_population_list")
    seen = set()
    for i, row in enumerate(population):
        if not isinstance(row, dict) or not isinstance(row.get("id"), int) or row.get("grade") not in GRADES:
            raise DrawError(f"plan.population[{i}]", "needs an integer id and a grade A–D", code="draw_population_row")
        if row["id"] in seen:
            raise DrawError(f"plan.population[{i}]", "a target appears twice", code="draw_duplicate", got=row["id"])
        seen.add(row["id"])
    sample = plan.get("sample")
    if not isinstance(sample, dict) or not set(sample) <= set(GRADES):
        raise DrawError("plan.sample", "grade → count or rate", code="draw_sample_spec", got=sample)
    for grade, spec in sample.items():
        try:
            sample_size(spec, 0)
        except DrawError as exc:
            raise DrawError(f"plan.sample.{grade}", exc.reason, code=exc.code, **exc.params) from None
    inspectors = plan.get("inspectors")
    if not isinstance(inspectors, list) or any(
        not isinstance(x, dict) or not isinstance(x.get("id"), int) or not isinstance(x.get("excluded", []), list)
        for x in inspectors
    ):
        raise DrawError("plan.inspectors", "a list of {id, excluded}", code="draw_inspectors_list")
    per = plan.get("inspectors_per_target")
    if not isinstance(per, int) or isinstance(per, bool) or per < 0:
        raise DrawError("plan.inspectors_per_target", "a whole number ≥ 0", code="integer_at_least", minimum=0, got=per)


def draw(plan: dict, seed: str, public_value: str) -> list[Drawn]:
    """The drawn targets (ascending id) with their inspectors (in lot order)."""
    validate_plan(plan)
    h = plan_hash(plan)
    strata: dict[str, list[tuple[str, int]]] = {g: [] for g in GRADES}
    for row in plan["population"]:
        strata[row["grade"]].append((_key(seed, public_value, h, "target", row["id"]), row["id"]))
    chosen: list[tuple[int, str]] = []
    for grade in GRADES:
        keys = sorted(strata[grade])
        k = sample_size(plan["sample"].get(grade, 0), len(keys))
        chosen.extend((target, grade) for _key_, target in keys[:k])
    excluded = {x["id"]: set(x.get("excluded", [])) for x in plan["inspectors"]}
    per = plan["inspectors_per_target"]
    out = []
    for target, grade in sorted(chosen):
        eligible = sorted(
            (_key(seed, public_value, h, "inspector", target, inspector), inspector)
            for inspector, barred in excluded.items()
            if target not in barred
        )
        out.append(Drawn(target, grade, tuple(inspector for _k, inspector in eligible[:per])))
    return out


def result_of(drawn: list[Drawn]) -> list[dict]:
    return [{"target": d.target, "grade": d.grade, "inspectors": list(d.inspectors)} for d in drawn]


def verify(document: dict) -> list[str]:
    """The differences between a PLAN.json and its recomputation; empty when it matches."""
    if not isinstance(document, dict):
        raise DrawError("", "must be an object", code="must_be_object")
    for name in ("plan", "seed", "public_value", "commitment", "result"):
        if name not in document:
            raise DrawError(name, "is required", code="required")
    if not isinstance(document["seed"], str) or not isinstance(document["public_value"], str):
        raise DrawError("seed", "seed and public_value are strings", code="draw_strings")
    differences = []
    h = plan_hash(document["plan"])
    if document.get("plan_hash") not in (None, h):
        differences.append(f"plan_hash: file {document['plan_hash']}, recomputed {h}")
    c = commitment(h, document["seed"])
    if document["commitment"] != c:
        differences.append(f"commitment: file {document['commitment']}, recomputed {c} (plan or seed changed)")
    recomputed = result_of(draw(document["plan"], document["seed"], document["public_value"]))
    given = document["result"]
    if given != recomputed:
        theirs = {r.get("target"): r for r in given if isinstance(r, dict)} if isinstance(given, list) else {}
        ours = {r["target"]: r for r in recomputed}
        for target in sorted(set(theirs) - set(ours), key=str):
            differences.append(f"result: target {target} is in the file, not in the recomputation")
        for target in sorted(set(ours) - set(theirs)):
            differences.append(f"result: target {target} is drawn by the recomputation, not in the file")
        for target in sorted(set(ours) & set(theirs), key=str):
            if theirs[target] != ours[target]:
                differences.append(f"result: target {target}: file {theirs[target]}, recomputed {ours[target]}")
        if not differences:
            differences.append("result: order or shape differs from the recomputation")
    return differences
