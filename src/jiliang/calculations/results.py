"""The core's result (the issue-4 JSON contract) shaped for the page's tables.

Numbers are shown as metrology reports them: an uncertainty to two significant digits
(GUM 7.2.6, the core's ``rounded`` triple), an estimate to the last digit its expanded
uncertainty keeps, budget entries to three significant digits. The unrounded number is
kept beside each for a ``title`` tooltip.
"""

from __future__ import annotations

import math

from django.utils.translation import gettext_lazy as _

from jiliang.core.numbers import scientific
from jiliang.core.uncertainty.rounding import round_uncertainty

from .builder import DISTRIBUTION_LABELS
from .histogram import histogram_svg

_KIND_LABELS = {**DISTRIBUTION_LABELS, "t": _("t 分布")}
RULE_LABELS = {"simple": _("简单接受"), "guard_band": _("保护带接受")}


def place_of(u: float, digits: int = 2) -> int:
    """The decimal exponent of the last digit kept when ``u`` is rounded to ``digits``."""
    if not u or not math.isfinite(u):
        return 0
    return round_uncertainty(abs(u), digits)[1]


def at_place(x: float | None, place: int) -> str:
    """``x`` to the decimal place 10**place (scientific notation for tiny places)."""
    if x is None:
        return "—"
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    if place < -9 or abs(x) >= 1e12:
        return scientific(x, min(max(1, math.floor(math.log10(abs(x))) - place + 1), 15))
    text = f"{x:.{max(0, -place)}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def sig(x: float | None, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits: plain decimals from 0.001 to 10⁶, else m×10ⁿ."""
    if x is None:
        return "∞"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞"
    exp = math.floor(math.log10(abs(x)))
    if -3 <= exp < 6:
        return f"{x:.{max(0, digits - 1 - exp)}f}"
    return scientific(x, digits)


def _dof(dof) -> str:
    if dof is None:
        return "∞"
    return f"{dof:g}" if isinstance(dof, float) else str(dof)


def _full(x) -> str:
    return "" if x is None else f"{x:.10g}"


def _gum(out: dict, input_units: dict, type_a: set) -> dict:
    rounded = out["rounded"]
    big_place = place_of(rounded["U"]) if rounded["U"] else place_of(out["u"])
    budget = []
    for row in out["budget"]:
        budget.append(
            {
                "input": row["input"],
                # Observations are sampled as a t distribution; the budget says where they came from.
                "distribution": _KIND_LABELS["type_a"]
                if row["input"] in type_a
                else _KIND_LABELS.get(row["distribution"], row["distribution"]),
                "value": at_place(row["value"], place_of(row["u"]) if row["u"] else -6),
                "u": sig(row["u"]),
                "u_full": _full(row["u"]),
                "dof": _dof(row["dof"]),
                "sensitivity": sig(row["sensitivity"]),
                "sensitivity_full": _full(row["sensitivity"]),
                "contribution": sig(row["contribution"]),
                "contribution_full": _full(row["contribution"]),
                "share": f"{row['share'] * 100:.1f}",
                "unit": input_units.get(row["input"], ""),
            }
        )
    return {
        "value": at_place(rounded["value"], big_place),
        "value_full": _full(out["value"]),
        "u": at_place(rounded["u"], place_of(rounded["u"])),
        "u_full": _full(out["u"]),
        "dof": _dof(out["dof"]),
        "dof_full": _full(out.get("dof_unrounded")),
        "k": f"{out['k']:.2f}",
        "k_full": _full(out["k"]),
        "U": at_place(rounded["U"], big_place),
        "U_full": _full(out["U"]),
        "interval": [at_place(x, big_place) for x in out["interval"]],
        "interval_full": [_full(x) for x in out["interval"]],
        "text": rounded["text"],
        "budget": budget,
        "second_order": "second_order_variance" in out,
    }


def _mc(out: dict) -> dict:
    rounded = out["rounded"]
    place = place_of(out["u"])
    return {
        "value": at_place(out["value"], place),
        "value_full": _full(out["value"]),
        "u": at_place(rounded["u"], place_of(rounded["u"])),
        "u_full": _full(out["u"]),
        "k": f"{out['k']:.2f}" if out.get("k") else "—",
        "U": at_place(rounded["U"], place_of(rounded["U"])),
        "U_full": _full(out["U"]),
        "interval": [at_place(x, place) for x in out["interval"]],
        "interval_full": [_full(x) for x in out["interval"]],
        "shortest": [at_place(x, place) for x in out["shortest_interval"]],
        "shortest_full": [_full(x) for x in out["shortest_interval"]],
        "text": rounded["text"],
    }


def _conformity(entry: dict) -> dict:
    return {
        "accept": entry["decision"] == "accept",
        "rule": RULE_LABELS.get(entry["rule"], entry["rule"]),
        "acceptance_interval": [sig(x, 6) if x is not None else "—" for x in entry["acceptance_interval"]],
        "probability": f"{entry['probability_of_conformity'] * 100:.1f}"
        if entry.get("probability_of_conformity") is not None
        else "—",
        "adequate": entry.get("adequate"),
        "adequacy_ratio": entry.get("adequacy_ratio"),
        "pfa": sig(entry["pfa"], 2) if entry.get("pfa") is not None else None,
        "pfr": sig(entry["pfr"], 2) if entry.get("pfr") is not None else None,
    }


def present(result: dict, doc: dict, measurand_unit: str = "") -> dict:
    """Context for ``calculations/_results.html`` from an ``evaluate_document`` result."""
    method = result["method"]
    gum = result["gum"] if method == "both" else result if method == "gum" else None
    mc = result["mc"] if method == "both" else result if method == "mc" else None
    first = gum or mc
    p = first["coverage_probability"]
    inputs = {n: s for n, s in (doc.get("inputs") or {}).items() if isinstance(s, dict)}
    input_units = {n: s["unit"] for n, s in inputs.items() if s.get("unit")}
    type_a = {n for n, s in inputs.items() if "observations" in s}
    outputs = []
    for name, base in first["outputs"].items():
        g = gum["outputs"][name] if gum else None
        m = mc["outputs"][name] if mc else None
        unit = base.get("unit") or measurand_unit
        entry = {"name": name, "unit": unit, "gum": _gum(g, input_units, type_a) if g else None, "mc": _mc(m) if m else None}
        if m:
            entry["svg"] = histogram_svg(
                m["histogram"]["counts"],
                m["histogram"]["edges"],
                name=name,
                unit=unit,
                trials=mc["trials"],
                mc_interval=tuple(m["interval"]),
                coverage_probability=p,
                gum={"value": g["value"], "u": g["u"], "dof": g["dof"], "interval": g["interval"]} if g else None,
            )
        if method == "both":
            v = result["validation"][name]
            entry["validation"] = {
                "validated": v["validated"],
                "delta": sig(v["delta"], 2),
                "d_low": sig(v["d_low"], 2),
                "d_high": sig(v["d_high"], 2),
            }
        if result.get("conformity") and name in result["conformity"]:
            entry["conformity"] = _conformity(result["conformity"][name])
        outputs.append(entry)
    notes = list((gum or {}).get("notes", [])) + list((mc or {}).get("notes", []))
    return {
        "method": method,
        "outputs": outputs,
        "p_percent": f"{p * 100:g}",
        "trials": mc["trials"] if mc else None,
        "seed": mc["seed"] if mc else None,
        "converged": mc.get("converged") if mc else None,
        "notes": notes,
        "output_correlations": [(a, b, f"{r:.3f}") for a, b, r in (gum or {}).get("output_correlations", [])],
    }
