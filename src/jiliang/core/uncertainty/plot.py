"""Histogram of the Monte Carlo result with the GUM result drawn over it."""

from __future__ import annotations

import io
import math

import numpy as np


def render_histogram(result: dict, output: str, fmt: str = "png") -> bytes:
    """Draw the Monte Carlo histogram of ``output`` from an ``evaluate_document`` result.

    ``result`` must hold a Monte Carlo part (method "mc" or "both"); with "both" the GUM
    Gaussian (or scaled t) PDF and its coverage interval are drawn too. Returns PNG or
    SVG bytes.
    """
    from jiliang.core.plotting import figure_class

    Figure = figure_class()

    if fmt not in ("png", "svg"):
        raise ValueError(f"format: use png or svg, not {fmt!r}")
    mc = result.get("mc") if "mc" in result else (result if result.get("method") == "mc" else None)
    if mc is None or output not in mc["outputs"]:
        raise ValueError(f"output: no Monte Carlo result for {output!r}")
    gum = result.get("gum")
    out = mc["outputs"][output]
    counts = np.asarray(out["histogram"]["counts"], dtype=float)
    edges = np.asarray(out["histogram"]["edges"], dtype=float)
    widths = np.diff(edges)
    density = counts / max(counts.sum(), 1.0) / widths

    fig = Figure(figsize=(7, 4), dpi=100)
    ax = fig.add_subplot()
    ax.bar(
        edges[:-1],
        density,
        width=widths,
        align="edge",
        color="#9ecae1",
        edgecolor="none",
        label=f"Monte Carlo ({mc.get('trials', '?')} trials)",
    )
    for x in out["interval"]:
        ax.axvline(x, color="#08519c", linestyle="--", linewidth=1)
    if gum and output in gum["outputs"]:
        g = gum["outputs"][output]
        xs = np.linspace(edges[0], edges[-1], 400)
        if g["u"] > 0:
            pdf = np.exp(-0.5 * ((xs - g["value"]) / g["u"]) ** 2) / (g["u"] * math.sqrt(2 * math.pi))
            ax.plot(xs, pdf, color="#cb181d", linewidth=1.5, label="GUM (Gaussian)")
        for x in g["interval"]:
            ax.axvline(x, color="#cb181d", linestyle=":", linewidth=1)
    unit = out.get("unit")
    ax.set_xlabel(f"{output}" + (f" / {unit}" if unit else ""))
    ax.set_ylabel("probability density")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt)
    return buffer.getvalue()
