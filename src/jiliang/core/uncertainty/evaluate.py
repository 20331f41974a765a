"""One entry point: a model document in, the contract JSON result (a dict) out."""

from __future__ import annotations

import math

from . import conformity as conf
from .errors import ModelError
from .gum import GumResult, propagate
from .model import Model, load_model
from .montecarlo import McResult, simulate, validate
from .rounding import rounded_result

METHODS = ("gum", "mc", "both")


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _reported_dof(dof: float, truncate: bool) -> float | None:
    """ν_eff as reported: truncated down to an integer (GUM G.4.1) unless asked not to."""
    if not math.isfinite(dof):
        return None
    return int(math.floor(dof)) if truncate else float(dof)


def _gum_shape(model: Model, result: GumResult) -> dict:
    outputs = {}
    for name, out in result.outputs.items():
        f = model.output_factors.get(name, 1.0)
        af = abs(f)
        value, u, big_u = out.value * f, out.u * af, out.U * af
        lo, hi = sorted((out.interval[0] * f, out.interval[1] * f))
        budget = []
        for row in out.budget:
            fi = model.input_factors.get(row.input, 1.0)
            entry = {
                "input": row.input,
                "sensitivity": row.sensitivity * f / fi,
                "contribution": row.contribution * af,
                "value": row.value / fi,
                "u": row.u / abs(fi),
                "distribution": row.distribution,
                "dof": _finite(row.dof),
                "share": row.share,
            }
            budget.append(entry)
        entry = {
            "value": value,
            "u": u,
            "dof": _reported_dof(out.dof, model.options.truncate_dof),
            "dof_unrounded": _finite(out.dof),
            "k": out.k,
            "U": big_u,
            "interval": [lo, hi],
            "budget": budget,
            "rounded": rounded_result(value, u, big_u),
        }
        if model.options.second_order:
            entry["second_order_variance"] = out.second_order_variance * f * f
        if model.output_units.get(name):
            entry["unit"] = model.output_units[name]
        outputs[name] = entry
    shape = {"method": "gum", "outputs": outputs, "coverage_probability": result.coverage_probability}
    if model.options.second_order and model.correlation is not None:
        shape["notes"] = [
            "second-order terms assume uncorrelated inputs (GUM 5.1.2 note); correlations enter the first-order terms only"
        ]
    names = list(result.outputs)
    if len(names) > 1:  # correlation between outputs (GUM H.2 table H.4)
        cov = result.covariance
        shape["output_correlations"] = [
            [a, b, float(cov[i, j] / math.sqrt(cov[i, i] * cov[j, j])) if cov[i, i] > 0 and cov[j, j] > 0 else 0.0]
            for i, a in enumerate(names)
            for j, b in enumerate(names)
            if j > i
        ]
    return shape


def _mc_shape(model: Model, result: McResult) -> dict:
    outputs = {}
    for name, out in result.outputs.items():
        f = model.output_factors.get(name, 1.0)
        af = abs(f)
        value, u = out.value * f, out.u * af
        lo, hi = sorted((out.interval[0] * f, out.interval[1] * f))
        slo, shi = sorted((out.shortest[0] * f, out.shortest[1] * f))
        big_u = (hi - lo) / 2.0
        counts, edges = out.histogram
        edges = edges * f
        if f < 0:
            counts, edges = counts[::-1], edges[::-1]
        entry = {
            "value": value,
            "u": u,
            "dof": None,
            "k": big_u / u if u > 0 else None,
            "U": big_u,
            "interval": [lo, hi],
            "budget": [],
            "shortest_interval": [slo, shi],
            "rounded": rounded_result(value, u, big_u),
            "histogram": {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]},
        }
        if model.output_units.get(name):
            entry["unit"] = model.output_units[name]
        outputs[name] = entry
    shape = {
        "method": "mc",
        "outputs": outputs,
        "coverage_probability": result.coverage_probability,
        "trials": result.trials,
        "seed": result.seed,
    }
    if result.converged is not None:
        shape["converged"] = result.converged
    if model.correlation is not None:
        names = model.input_names
        off = [n for i, n in enumerate(names) if any(model.correlation[i, j] != 0 for j in range(len(names)) if j != i)]
        non_normal = [n for n in off if model.inputs[n].kind != "normal"]
        if non_normal:
            shape["notes"] = [
                f"correlated inputs {', '.join(non_normal)} were sampled as Gaussian with their "
                "standard uncertainties (JCGM 101 6.4.8)"
            ]
    return shape


def _conformity(doc: dict, model: Model, shape: dict) -> dict | None:
    spec_all = doc.get("conformity")
    if not spec_all:
        return None
    if not isinstance(spec_all, dict):
        raise ModelError("conformity", "must map output names to specifications", code="conformity_not_object")
    results = {}
    for name, spec in spec_all.items():
        where = f"conformity.{name}"
        if name not in shape["outputs"]:
            raise ModelError(where, f"unknown output {name!r}", code="unknown_output", name=repr(name))
        if not isinstance(spec, dict):
            raise ModelError(where, "must be an object", code="must_be_object")
        out = shape["outputs"][name]
        if "mpe" in spec:
            lower, upper = conf.tolerance_from_mpe(float(spec["mpe"]), float(spec.get("nominal", 0.0)))
        else:
            lower, upper = spec.get("lower"), spec.get("upper")
        rule = spec.get("rule", "simple")
        decision = conf.decide(out["value"], out["u"], out["U"], lower, upper, rule, float(spec.get("r", 1.0)))
        entry = {
            "decision": "accept" if decision.accept else "reject",
            "rule": decision.rule,
            "acceptance_interval": list(decision.acceptance_interval),
            "guard_band": decision.guard_band,
            "probability_of_conformity": decision.probability_of_conformity,
        }
        if "mpe" in spec:
            ratio = float(spec.get("adequacy_ratio", 3.0))
            entry["adequate"] = conf.adequacy(out["U"], float(spec["mpe"]), ratio)
            entry["adequacy_ratio"] = ratio
        prior = spec.get("prior")
        if prior:
            if not isinstance(prior, dict) or "mean" not in prior or "u" not in prior:
                raise ModelError(f"{where}.prior", "needs mean and u of the process distribution", code="prior_needs_mean_u")
            entry.update(conf.global_risks(float(prior["mean"]), float(prior["u"]), out["u"], lower, upper, decision.guard_band))
        results[name] = entry
    return results


def evaluate_model(
    model: Model,
    method: str = "gum",
    trials: int | None = None,
    seed: int | None = None,
    deadline: float | None = None,
    threads: int | None = None,
) -> dict:
    if method not in METHODS:
        raise ModelError(
            "method",
            f"must be one of {', '.join(METHODS)}, got {method!r}",
            code="one_of",
            options=", ".join(METHODS),
            got=repr(method),
        )
    gum = _gum_shape(model, propagate(model)) if method in ("gum", "both") else None
    mc = (
        _mc_shape(model, simulate(model, trials=trials, seed=seed, deadline=deadline, threads=threads))
        if method in ("mc", "both")
        else None
    )
    if method == "gum":
        return gum
    if method == "mc":
        return mc
    digits = model.options.validation_digits
    validation = {}
    for name, g in gum["outputs"].items():
        m = mc["outputs"][name]
        validation[name] = validate(g["value"], g["u"], g["U"], m["interval"], digits)
    return {
        "method": "both",
        "gum": gum,
        "mc": mc,
        "validated": all(v["validated"] for v in validation.values()),
        "validation": validation,
    }


def evaluate_document(
    doc: dict,
    method: str = "gum",
    trials: int | None = None,
    seed: int | None = None,
    deadline: float | None = None,
    threads: int | None = None,
) -> dict:
    """Evaluate a model document (issue 4 contract) by GUM, Monte Carlo or both.

    Raises :class:`ModelError` (a ValueError) naming the field for any bad input.
    ``deadline`` (a ``time.monotonic()`` value) bounds a service's Monte Carlo run;
    ``threads`` fixes the Monte Carlo threads (default: up to 4 from 5·10^5 trials).
    """
    model = load_model(doc)
    result = evaluate_model(model, method, trials, seed, deadline, threads)
    if doc.get("conformity"):
        target = result["gum"] if method == "both" else result
        result["conformity"] = _conformity(doc, model, target)
    return result
