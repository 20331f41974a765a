"""The Monte Carlo histogram as inline SVG, drawn on the server (no JavaScript, no CDN).

One bar per histogram bin of the core's result (``histogram.counts`` over ``edges``),
scaled as a probability density so the GUM's distribution for the output (Gaussian, or a
scaled and shifted t with ν_eff degrees of freedom, GUM G.3) can be drawn over it in the
same units, as JCGM 101 §9 draws its figures. Coverage intervals are vertical lines.

Every bar carries its count in ``data-count``, so a test (or a reader of the markup) can
check the picture against the numbers. Colours come from classes styled by the page, with
presentation attributes as a fallback for the SVG on its own.
"""

from __future__ import annotations

import math

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from scipy import stats

from jiliang.core.numbers import short

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 52, 46
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
CURVE_POINTS = 240


def nice_step(span: float, target: int = 5) -> float:
    """A 1-2-5 × 10^n step giving about ``target`` intervals over ``span``."""
    raw = span / max(target, 1)
    exp = math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * 10.0**exp >= raw * (1 - 1e-12):
            return step * 10.0**exp
    return 10.0 ** (exp + 1)  # pragma: no cover


def nice_max(value: float) -> float:
    """The smallest 1-2-2.5-5-10 × 10^n at or above ``value`` (the density axis's end)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * 10.0**exp >= value * (1 - 1e-12):
            return step * 10.0**exp
    return 10.0 ** (exp + 1)  # pragma: no cover


def _tick_label(x: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step)))
    if decimals > 9 or abs(x) >= 1e9:
        return f"{x:.4g}"
    text = f"{x:.{decimals}f}"
    return "0" if float(text) == 0 else text


def _c(v: float) -> str:
    """A coordinate, two decimals (sub-pixel precision is enough)."""
    return f"{v:.2f}".rstrip("0").rstrip(".")


def gum_density(x: float, value: float, u: float, dof: float | None) -> float:
    """The GUM's PDF for the output: N(y, u²), or y + u·t_ν when ν_eff is finite."""
    if u <= 0:
        return 0.0
    z = (x - value) / u
    if dof is None or not math.isfinite(dof):
        return math.exp(-0.5 * z * z) / (u * math.sqrt(2 * math.pi))
    return float(stats.t.pdf(z, dof)) / u


def histogram_svg(
    counts: list[int],
    edges: list[float],
    *,
    name: str,
    unit: str = "",
    trials: int | None = None,
    mc_interval: tuple[float, float] | None = None,
    gum: dict | None = None,
    coverage_probability: float = 0.95,
) -> SafeString:
    """Inline SVG of a Monte Carlo histogram; ``gum`` (value, u, dof, interval) overlays the GUM result."""
    counts = [int(c) for c in counts]
    edges = [float(e) for e in edges]
    total = sum(counts)
    lo, hi = edges[0], edges[-1]
    for interval in (mc_interval, gum and gum.get("interval")):
        if interval:
            lo, hi = min(lo, interval[0]), max(hi, interval[1])
    pad = (hi - lo) * 0.02 or (abs(lo) * 1e-9 or 1e-12)
    lo, hi = lo - pad, hi + pad

    def sx(x: float) -> float:
        return LEFT + (x - lo) / (hi - lo) * PLOT_W

    densities = [c / (total * (edges[i + 1] - edges[i])) if total else 0.0 for i, c in enumerate(counts)]
    peak = max(densities, default=0.0)
    curve = []
    if gum and gum.get("u", 0) > 0:
        xs = [lo + (hi - lo) * i / (CURVE_POINTS - 1) for i in range(CURVE_POINTS)]
        curve = [(x, gum_density(x, gum["value"], gum["u"], gum.get("dof"))) for x in xs]
        peak = max(peak, gum_density(gum["value"], gum["value"], gum["u"], gum.get("dof")))
    ymax = nice_max(peak)

    def sy(d: float) -> float:
        return TOP + PLOT_H - min(d / ymax, 1.0) * PLOT_H

    label = f"{name} / {unit}" if unit else name
    title = _("%(name)s 的蒙特卡洛直方图") % {"name": name}
    trials_text = f"{trials:,}" if trials else f"{total:,}"
    desc = _("%(bins)s 个区间、%(n)s 个样本的直方图，取值范围 %(lo)s 至 %(hi)s。") % {
        "bins": len(counts),
        "n": f"{total:,}",
        "lo": f"{edges[0]:.6g}",
        "hi": f"{edges[-1]:.6g}",
    }
    if mc_interval:
        desc += " " + _("蒙特卡洛包含区间 [%(lo)s, %(hi)s]。") % {"lo": f"{mc_interval[0]:.6g}", "hi": f"{mc_interval[1]:.6g}"}
    if gum and gum.get("interval"):
        desc += " " + _("GUM 包含区间 [%(lo)s, %(hi)s]。") % {
            "lo": f"{gum['interval'][0]:.6g}",
            "hi": f"{gum['interval'][1]:.6g}",
        }

    parts = [
        f'<svg class="chart histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(title)}" data-bins="{len(counts)}" data-total="{total}" '
        f'data-plot-height="{PLOT_H}" data-density-max="{ymax!r}">',
        f"<title>{escape(title)}</title><desc>{escape(desc)}</desc>",
    ]
    # Grid and the density axis.
    parts.append('<g class="chart-grid">')
    for frac in (0.0, 0.5, 1.0):
        y = TOP + PLOT_H - frac * PLOT_H
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{_c(y)}" y2="{_c(y)}" stroke="#dde3ea"/>')
        parts.append(
            f'<text class="chart-tick" x="{LEFT - 6}" y="{_c(y + 4)}" text-anchor="end">{escape(short(ymax * frac, 3))}</text>'
        )
    parts.append("</g>")
    density_label = escape(_("概率密度"))  # outside the f-string: xgettext does not look inside one
    parts.append(
        f'<text class="chart-tick" transform="translate(14 {TOP + PLOT_H / 2:.0f}) rotate(-90)" text-anchor="middle">'
        f"{density_label}</text>"
    )
    # The bars: one per bin, height proportional to the density (to the count for equal bins).
    parts.append('<g class="hist-bars">')
    for i, (count, density) in enumerate(zip(counts, densities)):
        x0, x1 = sx(edges[i]), sx(edges[i + 1])
        y = sy(density)
        height = TOP + PLOT_H - y
        parts.append(
            f'<rect class="hist-bar" fill="#9ecae1" x="{_c(x0)}" y="{_c(y)}" width="{_c(x1 - x0)}" '
            f'height="{height:.3f}" data-count="{count}"><title>[{edges[i]:.6g}, {edges[i + 1]:.6g}): '
            f"{count}</title></rect>"
        )
    parts.append("</g>")
    if curve:
        points = " ".join(f"{_c(sx(x))},{_c(sy(d))}" for x, d in curve)
        parts.append(f'<polyline class="hist-gum-pdf" fill="none" stroke="#b3261e" stroke-width="2" points="{points}"/>')
    for interval, css, dash, colour in (
        (mc_interval, "hist-mc-interval", "6 4", "#08519c"),
        (gum and gum.get("interval"), "hist-gum-interval", "2 3", "#b3261e"),
    ):
        if interval:
            for x in interval:
                parts.append(
                    f'<line class="{css}" x1="{_c(sx(x))}" x2="{_c(sx(x))}" y1="{TOP}" y2="{TOP + PLOT_H}" '
                    f'stroke="{colour}" stroke-width="1.5" stroke-dasharray="{dash}" data-x="{x!r}"/>'
                )
    # The value axis with round ticks.
    parts.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}" stroke="#5f6b7a"/>'
    )
    step = nice_step(hi - lo)
    tick = math.ceil(lo / step) * step
    while tick <= hi + step * 1e-9:
        x = sx(tick)
        parts.append(
            f'<line class="chart-axis" x1="{_c(x)}" x2="{_c(x)}" y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H + 4}" stroke="#5f6b7a"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{_c(x)}" y="{TOP + PLOT_H + 17}" text-anchor="middle">{escape(_tick_label(tick, step))}</text>'
        )
        tick += step
    parts.append(f'<text x="{LEFT + PLOT_W / 2:.0f}" y="{HEIGHT - 6}" text-anchor="middle">{escape(label)}</text>')
    # Legend: what each mark is.
    p = f"{coverage_probability * 100:g} %"
    legend = [("bar", _("蒙特卡洛（%(n)s 次试验）") % {"n": trials_text}, 0, 0)]
    if mc_interval:
        legend.append(("hist-mc-interval", _("蒙特卡洛 %(p)s 包含区间") % {"p": p}, 320, 0))
    if curve:
        legend.append(
            (
                "hist-gum-pdf",
                _("GUM 给出的分布")
                if gum.get("dof") is None
                else _("GUM 给出的分布（t，ν = %(dof)s）") % {"dof": f"{gum['dof']:g}"},
                0,
                1,
            )
        )
    if gum and gum.get("interval"):
        legend.append(("hist-gum-interval", _("GUM %(p)s 包含区间") % {"p": p}, 320, 1))
    parts.append('<g class="hist-legend">')
    for kind, text, dx, row in legend:
        x, y = LEFT + dx, 16 + row * 18
        if kind == "bar":
            parts.append(f'<rect class="hist-swatch" fill="#9ecae1" x="{x}" y="{y - 9}" width="18" height="10"/>')
        elif kind == "hist-gum-pdf":
            parts.append(
                f'<line class="{kind}" x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="#b3261e" stroke-width="2"/>'
            )
        else:
            colour, dash = ("#08519c", "6 4") if kind == "hist-mc-interval" else ("#b3261e", "2 3")
            parts.append(
                f'<line class="{kind}" x1="{x + 9}" x2="{x + 9}" y1="{y - 11}" y2="{y + 2}" stroke="{colour}" '
                f'stroke-width="1.5" stroke-dasharray="{dash}"/>'
            )
        parts.append(f'<text x="{x + 24}" y="{y}">{escape(text)}</text>')
    parts.append("</g></svg>")
    return mark_safe("".join(parts))
