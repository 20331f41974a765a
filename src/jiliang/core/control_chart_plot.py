"""A control chart drawn (matplotlib, Agg): the chart of location above, of dispersion below,
centre lines and control limits, the baseline the limits came from shaded, and every point a
test for special causes flags in red. Returns SVG or PNG bytes; labels come from the caller
(the shell translates them)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from jiliang.core.control_charts import Chart
from jiliang.core.errors import InputError

FORMATS = ("svg", "png")
DEFAULT_LABELS = {
    "location": r"$\bar{X}$ / $X$",
    "dispersion": "R",
    "centre": "CL",
    "limits": "UCL / LCL",
    "flagged": "out of control",
    "baseline": "limits from these points",
}


def chart_figure(
    chart: Chart, ticks: Sequence[str] | None = None, fmt: str = "svg", labels: dict | None = None, title: str = ""
) -> bytes:
    if fmt not in FORMATS:
        raise InputError(
            "format", f"unknown image format {fmt!r} (expected svg or png)", code="one_of", options="svg, png", got=fmt
        )
    from jiliang.core.plotting import figure_class

    words = {**DEFAULT_LABELS, **(labels or {})}
    Figure = figure_class()
    fig = Figure(figsize=(8.0, 5.2), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    x = list(range(1, len(chart.location) + 1))
    flagged_location = {s.index for s in chart.signals if s.chart == "location"}
    flagged_dispersion = {s.index for s in chart.signals if s.chart == "dispersion"}
    panels = (
        (top, chart.location, chart.location_limits, flagged_location, words["location"]),
        (bottom, chart.dispersion, chart.dispersion_limits, flagged_dispersion, words["dispersion"]),
    )
    for axes, values, limits, flagged, ylabel in panels:
        if chart.baseline:
            axes.axvspan(0.5, chart.baseline + 0.5, color="tab:blue", alpha=0.06, label=words["baseline"])
        axes.axhline(limits.centre, color="tab:green", lw=1.0, label=words["centre"])
        axes.axhline(limits.upper, color="tab:red", lw=1.0, ls="--", label=words["limits"])
        if limits.lower > 0 or axes is top:
            axes.axhline(limits.lower, color="tab:red", lw=1.0, ls="--")
        points = [(i + 1, v) for i, v in enumerate(values) if v is not None]
        axes.plot([p[0] for p in points], [p[1] for p in points], "-o", color="black", ms=3.5, lw=0.8)
        red = [(i + 1, v) for i, v in enumerate(values) if v is not None and i in flagged]
        if red:
            axes.plot([p[0] for p in red], [p[1] for p in red], "o", color="tab:red", ms=7, label=words["flagged"])
        axes.set_ylabel(ylabel)
        axes.ticklabel_format(axis="y", useOffset=False)  # the values themselves, not an offset
    top.legend(loc="upper left", fontsize="small", ncols=4)
    if ticks is not None and len(ticks) == len(x):
        step = max(1, len(x) // 12)
        bottom.set_xticks(x[::step], list(ticks)[::step], rotation=45, ha="right", fontsize="small")
    if title:
        fig.suptitle(title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=110)
    return buffer.getvalue()
