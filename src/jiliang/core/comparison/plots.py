"""Comparison plots (matplotlib, Agg backend): results with error bars and the reference
value with its band, and the degrees of equivalence. Returns PNG or SVG bytes."""

from __future__ import annotations

import io

import numpy as np

from .errors import ComparisonInputError

FORMATS = ("png", "svg")


def comparison_figure(labs, values, U, ref_value, U_ref, d, U_d, fmt: str = "png", title: str | None = None, used=None) -> bytes:
    """Two panels: results ± U (k = 2) around x_ref ± U(x_ref); d_i ± U(d_i) around zero.
    NaN uncertainties are drawn without error bars; results not in the reference value
    (``used`` False) are drawn with open markers."""
    if fmt not in FORMATS:
        raise ComparisonInputError(
            "plot", f"unknown image format {fmt!r} (expected png or svg)", code="one_of", options="png, svg", got=repr(fmt)
        )
    from jiliang.core.plotting import figure_class

    Figure = figure_class()

    labs = list(labs)
    pos = np.arange(len(labs))
    fig = Figure(figsize=(max(6.0, 0.45 * len(labs) + 2.0), 7.0), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    top.axhspan(ref_value - U_ref, ref_value + U_ref, color="tab:blue", alpha=0.15, label="reference ± U (k=2)")
    top.axhline(ref_value, color="tab:blue", lw=1.2)
    values, U = np.asarray(values, float), np.asarray(U, float)
    used = np.ones(len(labs), bool) if used is None else np.asarray(used, bool)
    top.errorbar(pos[used], values[used], yerr=_bars(U[used]), fmt="o", color="black", capsize=3, label="result ± U (k=2)")
    if not used.all():
        top.errorbar(
            pos[~used],
            values[~used],
            yerr=_bars(U[~used]),
            fmt="o",
            mfc="white",
            color="gray",
            capsize=3,
            label="not in reference value",
        )
    top.set_ylabel("value")
    top.legend(loc="best", fontsize="small")
    bottom.axhline(0.0, color="tab:blue", lw=1.2)
    bottom.errorbar(pos, d, yerr=_bars(U_d), fmt="s", color="tab:red", capsize=3)
    bottom.set_ylabel("degree of equivalence d ± U(d)")
    bottom.set_xticks(pos, labs, rotation=60 if len(labs) > 8 else 0, ha="right" if len(labs) > 8 else "center")
    if title:
        fig.suptitle(title)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=120)
    return buffer.getvalue()


def _bars(U):
    U = np.asarray(U, float)
    return np.where(np.isfinite(U), U, 0.0)


def evaluation_figure(ev, fmt: str = "png", title: str | None = None) -> bytes:
    """The figure of a ``document.Evaluation``."""
    r = ev.results
    return comparison_figure(
        r.labs, r.values, 2.0 * r.u, ev.reference.value, 2.0 * ev.reference.u, ev.doe.d, ev.doe.U_d, fmt, title, ev.reference.used
    )
