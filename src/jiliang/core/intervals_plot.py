"""Observed reliability against interval, with the fitted reliability model (matplotlib, Agg).

Points: the observed reliability of each interval bin (marker area by the number of
results); line: the best S2 model; dashed: the reliability target; vertical lines: the
recommended interval, the interval the data give when the law holds it lower, and the
legal maximum where one applies. Returns SVG or PNG bytes;
labels come from the caller (the shell translates them)."""

from __future__ import annotations

import io

import numpy as np

from jiliang.core.errors import InputError
from jiliang.core.intervals import Bins, ModelFit

FORMATS = ("svg", "png")
DEFAULT_LABELS = {
    "x": "interval (days)",
    "y": "reliability",
    "observed": "observed",
    "fitted": "fitted",
    "target": "target",
    "recommended": "recommended",
    "legal": "legal maximum",
    "empty": "not enough data",
    "computed": "from the data",
}


def reliability_figure(
    bins: Bins | None,
    fit: ModelFit | None,
    target: float,
    *,
    recommended: float | None = None,
    computed: float | None = None,
    legal_maximum: float | None = None,
    fmt: str = "svg",
    labels: dict | None = None,
    title: str = "",
) -> bytes:
    if fmt not in FORMATS:
        raise InputError(
            "format", f"unknown image format {fmt!r} (expected svg or png)", code="one_of", options="svg, png", got=fmt
        )
    from jiliang.core.plotting import figure_class

    words = {**DEFAULT_LABELS, **(labels or {})}
    Figure = figure_class()
    fig = Figure(figsize=(7.5, 4.4), layout="constrained")
    axes = fig.subplots()
    if bins is None:  # no history to draw: the axes and a word, not an error
        axes.text(0.5, 0.5, words["empty"], ha="center", va="center", transform=axes.transAxes)
        axes.set_xlabel(words["x"])
        axes.set_ylabel(words["y"])
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
        return buffer.getvalue()
    reliability = bins.g / bins.n
    sizes = 12 + 60 * bins.n / max(float(bins.n.max()), 1.0)
    axes.scatter(bins.t, reliability, s=sizes, color="black", zorder=3, label=words["observed"])
    right = float(max(bins.t.max(), recommended or 0, computed or 0, legal_maximum or 0)) * 1.1
    if fit is not None:
        t = np.linspace(right / 400, right, 400)
        axes.plot(t, fit.reliability(t), color="tab:blue", lw=1.6, label=f"{words['fitted']} ({fit.model.name})")
    axes.axhline(target, color="tab:green", ls="--", lw=1.0, label=f"{words['target']} {target:.0%}")
    if recommended:
        axes.axvline(recommended, color="tab:blue", ls=":", lw=1.2, label=f"{words['recommended']} {recommended:.0f}")
    if computed and computed != recommended:
        axes.axvline(computed, color="tab:gray", ls=":", lw=1.2, label=f"{words['computed']} {computed:.0f}")
    if legal_maximum:
        axes.axvline(legal_maximum, color="tab:red", ls="-.", lw=1.2, label=f"{words['legal']} {legal_maximum:.0f}")
    axes.set_xlim(0, right)
    # Reliabilities near 1 would lie flat on a 0–1 axis: start a little below what is drawn.
    axes.set_ylim(max(0.0, min(float(reliability.min()), target) - 0.1), 1.02)
    axes.set_xlabel(words["x"])
    axes.set_ylabel(words["y"])
    axes.legend(loc="lower left", fontsize="small")
    if title:
        axes.set_title(title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=110)
    return buffer.getvalue()
