"""Server-rendered SVG charts: no JavaScript, no CDN, no charting library.

Two shapes cover what the pages draw:

- ``bar_chart`` — one value per label (coverage % by region, counts by institution),
  horizontal bars by default, with an optional dashed target line (e.g. 90 %).
- ``month_chart`` — one or more series over months (due vs overdue, certificates issued),
  grouped bars or lines.

Both return a ``SafeString`` holding an inline ``<svg>`` that scales to its container
(``viewBox`` + ``width="100%"``), names itself for screen readers (``role="img"``,
``aria-label``, ``<title>``, a ``<desc>`` listing every value) and carries no colours of its
own: every shape has a CSS class (``chart-bar``, ``chart-series-0`` …, ``chart-target``)
styled in ``site.css`` through CSS variables, so a light or dark theme recolours them.
All text is escaped; labels come from the database and may hold anything.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

__all__ = ["bar_chart", "month_chart", "nice_max", "format_value"]

WIDTH = 640  # viewBox width; the SVG scales to its container
SERIES_CLASSES = 6  # chart-series-0 … chart-series-5 in site.css, then they repeat


def format_value(value: float, unit: str = "") -> str:
    """A short human number: integers without a point, others to 3 significant figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer():
        text = f"{int(value):d}"
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    else:
        text = f"{value:.3g}"
    if not unit:
        return text
    # "12 kg" but "92%" and "30件": a space only before a Latin unit symbol.
    return f"{text} {unit}" if unit[0].isascii() and unit[0].isalnum() else f"{text}{unit}"


def nice_max(value: float) -> float:
    """The smallest 1-2-2.5-5-10 × 10^n at or above ``value`` (axis ends on a round number)."""
    if value <= 0:
        return 1.0
    exp = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10.0**exp
        if candidate >= value * (1 - 1e-12):
            return candidate
    return 10.0 ** (exp + 1)  # pragma: no cover - the loop always returns


def _check_values(values: Sequence, field: str) -> list[float | None]:
    """Finite, non-negative numbers (None = no data); anything else names its index."""
    out: list[float | None] = []
    for i, v in enumerate(values):
        if v is None:
            out.append(None)
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise ValueError(f"{field}[{i}]: " + _("不是数字：%(got)s") % {"got": repr(v)}) from None
        if not math.isfinite(f):
            raise ValueError(f"{field}[{i}]: " + _("不是有限数值：%(got)s") % {"got": repr(v)})
        if f < 0:
            raise ValueError(f"{field}[{i}]: " + _("负值不能画成条形：%(got)s") % {"got": repr(v)})
        out.append(f)
    return out


def _n(x: float) -> str:
    """Coordinates to 2 decimals: small output, exact enough for any screen."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text if text != "-0" else "0"


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * i / count for i in range(count + 1)]


def _grid(x0: float, x1: float, y_base: float, plot_h: float, top: float, unit: str) -> list[str]:
    """Horizontal grid lines at the value ticks, each labelled on the left axis."""
    parts = ['<g class="chart-grid">']
    for t in _ticks(top):
        y = y_base - plot_h * t / top
        parts.append(f'<line x1="{x0}" y1="{_n(y)}" x2="{x1}" y2="{_n(y)}"/>')
        parts.append(
            f'<text class="chart-tick" x="{x0 - 4}" y="{_n(y + 4)}" text-anchor="end">{escape(format_value(t, unit))}</text>'
        )
    parts.append("</g>")
    return parts


def _open_svg(height: float, title: str, desc: str, kind: str) -> list[str]:
    label = title or desc
    return [
        f'<svg class="chart chart-{kind}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {_n(height)}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'role="img" aria-label="{escape(label)}">',
        f"<title>{escape(title or desc)}</title>",
        f"<desc>{escape(desc)}</desc>",
    ]


def _empty(title: str, kind: str) -> SafeString:
    msg = _("暂无数据")
    parts = _open_svg(60, title, msg, kind)
    parts.append(f'<text class="chart-empty" x="{WIDTH / 2:g}" y="34" text-anchor="middle">{escape(msg)}</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    target: float | None = None,
    title: str = "",
    unit: str = "",
    max_value: float | None = None,
    orientation: str = "horizontal",
) -> SafeString:
    """One bar per label, scaled from 0 to ``max_value`` (default: a round number ≥ the data).

    ``target`` draws a dashed line across the bars (a bar below it gets the extra class
    ``chart-below``). ``orientation`` is ``"horizontal"`` (labels on the left, suits long
    region names and phones) or ``"vertical"``. A value of ``None`` means "no data": the
    label is shown with a dash and no bar. Values above ``max_value`` are clipped to the
    axis but labelled with their true value.
    """
    labels = [str(label) for label in labels]
    if len(labels) != len(values):
        raise ValueError(
            "values: " + _("%(values)s 个数值对应 %(labels)s 个标签") % {"values": len(values), "labels": len(labels)}
        )
    if orientation not in ("horizontal", "vertical"):
        raise ValueError("orientation: " + _("须为 'horizontal' 或 'vertical'（输入值 %(got)s）") % {"got": repr(orientation)})
    vals = _check_values(values, "values")
    if target is not None:
        target = _check_values([target], "target")[0]
    if max_value is not None:
        max_value = float(max_value)
        if not math.isfinite(max_value) or max_value <= 0:
            raise ValueError("max_value: " + _("须为有限正数（输入值 %(got)s）") % {"got": repr(max_value)})
    if not labels:
        return _empty(title, "bars")

    present = [v for v in vals if v is not None]
    top = max_value or nice_max(max(present + ([target] if target is not None else []) + [0.0]))
    desc = "; ".join(f"{label}: {format_value(v, unit)}" for label, v in zip(labels, vals, strict=True))
    if target is not None:
        desc += "; " + _("目标") + f": {format_value(target, unit)}"

    if orientation == "horizontal":
        return _bars_horizontal(labels, vals, top, target, title, unit, desc)
    return _bars_vertical(labels, vals, top, target, title, unit, desc)


def _bar_class(v: float | None, target: float | None) -> str:
    return "chart-bar chart-below" if target is not None and v is not None and v < target else "chart-bar"


def _bars_horizontal(labels, vals, top, target, title, unit, desc) -> SafeString:
    row, gap, pad_top, axis_h = 26, 8, 10, 22
    # The label column grows with the longest label (CJK glyphs are about twice as wide).
    longest = max(sum(2 if ord(c) > 0x2E80 else 1 for c in label) for label in labels)
    x0 = min(max(60, 7 * longest + 12), 220)
    x1 = WIDTH - 70  # room for the value text after the longest bar
    plot_w = x1 - x0
    height = pad_top + len(labels) * (row + gap) + axis_h

    parts = _open_svg(height, title, desc, "bars")
    y_bottom = pad_top + len(labels) * (row + gap)
    # Grid and axis ticks.
    parts.append('<g class="chart-grid">')
    for t in _ticks(top):
        x = x0 + plot_w * t / top
        parts.append(f'<line x1="{_n(x)}" y1="{pad_top}" x2="{_n(x)}" y2="{_n(y_bottom)}"/>')
        parts.append(
            f'<text class="chart-tick" x="{_n(x)}" y="{_n(y_bottom + 16)}" text-anchor="middle">'
            f"{escape(format_value(t, unit))}</text>"
        )
    parts.append("</g>")
    for i, (label, v) in enumerate(zip(labels, vals, strict=True)):
        y = pad_top + i * (row + gap) + gap / 2
        shown = format_value(v, unit)
        parts.append('<g class="chart-row">')
        parts.append(f"<title>{escape(label)}: {escape(shown)}</title>")
        parts.append(f'<text class="chart-label" x="{x0 - 6}" y="{_n(y + row / 2 + 4)}" text-anchor="end">{escape(label)}</text>')
        w = 0.0 if v is None else plot_w * min(v, top) / top
        if v is not None:
            parts.append(
                f'<rect class="{_bar_class(v, target)}" x="{x0}" y="{_n(y)}" width="{_n(w)}" height="{row}" data-value="{v:g}"/>'
            )
        parts.append(f'<text class="chart-value" x="{_n(x0 + w + 4)}" y="{_n(y + row / 2 + 4)}">{escape(shown)}</text>')
        parts.append("</g>")
    if target is not None:
        x = x0 + plot_w * min(target, top) / top
        parts.append(
            f'<line class="chart-target" x1="{_n(x)}" y1="{pad_top - 4}" x2="{_n(x)}" '
            f'y2="{_n(y_bottom)}" stroke-dasharray="6 4" data-value="{target:g}"/>'
        )
    parts.append(f'<line class="chart-axis" x1="{x0}" y1="{pad_top}" x2="{x0}" y2="{_n(y_bottom)}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _bars_vertical(labels, vals, top, target, title, unit, desc) -> SafeString:
    height, pad_top, axis_w = 260, 18, 56
    x0, x1 = axis_w, WIDTH - 10
    label_h = 34
    y_base = height - label_h
    plot_h = y_base - pad_top
    slot = (x1 - x0) / len(labels)
    bar_w = slot * 0.7

    parts = _open_svg(height, title, desc, "bars")
    parts.extend(_grid(x0, x1, y_base, plot_h, top, unit))
    for i, (label, v) in enumerate(zip(labels, vals, strict=True)):
        cx = x0 + slot * (i + 0.5)
        shown = format_value(v, unit)
        h = 0.0 if v is None else plot_h * min(v, top) / top
        parts.append('<g class="chart-row">')
        parts.append(f"<title>{escape(label)}: {escape(shown)}</title>")
        if v is not None:
            parts.append(
                f'<rect class="{_bar_class(v, target)}" x="{_n(cx - bar_w / 2)}" y="{_n(y_base - h)}" '
                f'width="{_n(bar_w)}" height="{_n(h)}" data-value="{v:g}"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{_n(cx)}" y="{_n(y_base - h - 4)}" text-anchor="middle">{escape(shown)}</text>'
        )
        parts.append(f'<text class="chart-label" x="{_n(cx)}" y="{y_base + 16}" text-anchor="middle">{escape(label)}</text>')
        parts.append("</g>")
    if target is not None:
        y = y_base - plot_h * min(target, top) / top
        parts.append(
            f'<line class="chart-target" x1="{x0}" y1="{_n(y)}" x2="{x1}" y2="{_n(y)}" '
            f'stroke-dasharray="6 4" data-value="{target:g}"/>'
        )
    parts.append(f'<line class="chart-axis" x1="{x0}" y1="{_n(y_base)}" x2="{x1}" y2="{_n(y_base)}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))


def month_chart(
    months: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    title: str = "",
    unit: str = "",
    kind: str = "bars",
    max_value: float | None = None,
) -> SafeString:
    """Values by month for one or more named series: grouped bars (default) or lines.

    ``months`` are the x labels as they should read ("2025-01"); every series must have
    one value per month (``None`` = no data). Series take classes ``chart-series-0``,
    ``chart-series-1`` … in the order given, and a legend names them.
    """
    months = [str(m) for m in months]
    if kind not in ("bars", "lines"):
        raise ValueError("kind: " + _("须为 'bars' 或 'lines'（输入值 %(got)s）") % {"got": repr(kind)})
    checked: dict[str, list[float | None]] = {}
    for name, vals in series.items():
        if len(vals) != len(months):
            raise ValueError(
                f"series[{name!r}]: " + _("%(values)s 个数值对应 %(months)s 个月") % {"values": len(vals), "months": len(months)}
            )
        checked[str(name)] = _check_values(vals, f"series[{name!r}]")
    if max_value is not None:
        max_value = float(max_value)
        if not math.isfinite(max_value) or max_value <= 0:
            raise ValueError("max_value: " + _("须为有限正数（输入值 %(got)s）") % {"got": repr(max_value)})
    if not months or not checked:
        return _empty(title, "months")

    present = [v for vals in checked.values() for v in vals if v is not None]
    top = max_value or nice_max(max(present + [0.0]))
    desc = "; ".join(
        f"{name}: " + ", ".join(f"{m} {format_value(v, unit)}" for m, v in zip(months, vals, strict=True))
        for name, vals in checked.items()
    )

    height, pad_top, axis_w, legend_h, label_h = 280, 30, 56, 0, 30
    x0, x1 = axis_w, WIDTH - 10
    y_base = height - label_h
    plot_h = y_base - pad_top
    slot = (x1 - x0) / len(months)
    # Thin out month labels so they never overlap (about 7 units a character at 12 px).
    longest = max(len(m) for m in months)
    every = max(1, math.ceil((longest * 7 + 6) / slot))

    parts = _open_svg(height + legend_h, title, desc, "months")
    # Legend across the top.
    lx = x0
    parts.append('<g class="chart-legend">')
    for s, name in enumerate(checked):
        cls = f"chart-series-{s % SERIES_CLASSES}"
        parts.append(f'<rect class="{cls}" x="{_n(lx)}" y="6" width="12" height="12"/>')
        parts.append(f'<text class="chart-label" x="{_n(lx + 16)}" y="16">{escape(name)}</text>')
        lx += 16 + 7 * sum(2 if ord(c) > 0x2E80 else 1 for c in name) + 18
    parts.append("</g>")
    parts.extend(_grid(x0, x1, y_base, plot_h, top, unit))
    for i, m in enumerate(months):
        if i % every == 0:
            parts.append(
                f'<text class="chart-label chart-month" x="{_n(x0 + slot * (i + 0.5))}" '
                f'y="{y_base + 18}" text-anchor="middle">{escape(m)}</text>'
            )

    n = len(checked)
    for s, (name, vals) in enumerate(checked.items()):
        cls = f"chart-series-{s % SERIES_CLASSES}"
        parts.append(f'<g class="chart-series {cls}" data-series="{escape(name)}">')
        if kind == "bars":
            group_w = slot * 0.8
            bar_w = group_w / n
            for i, (m, v) in enumerate(zip(months, vals, strict=True)):
                if v is None:
                    continue
                h = plot_h * min(v, top) / top
                x = x0 + slot * i + (slot - group_w) / 2 + s * bar_w
                parts.append(
                    f'<rect class="chart-bar" x="{_n(x)}" y="{_n(y_base - h)}" width="{_n(bar_w)}" '
                    f'height="{_n(h)}" data-value="{v:g}">'
                    f"<title>{escape(name)} {escape(m)}: {escape(format_value(v, unit))}</title></rect>"
                )
        else:
            # A line breaks at missing months rather than pretending they were zero.
            runs: list[list[tuple[float, float]]] = [[]]
            for i, v in enumerate(vals):
                if v is None:
                    runs.append([])
                    continue
                runs[-1].append((x0 + slot * (i + 0.5), y_base - plot_h * min(v, top) / top))
            for run in runs:
                if len(run) > 1:
                    pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in run)
                    parts.append(f'<polyline class="chart-line" points="{pts}"/>')
            for i, (m, v) in enumerate(zip(months, vals, strict=True)):
                if v is None:
                    continue
                cx, cy = x0 + slot * (i + 0.5), y_base - plot_h * min(v, top) / top
                parts.append(
                    f'<circle class="chart-point" cx="{_n(cx)}" cy="{_n(cy)}" r="3.5" data-value="{v:g}">'
                    f"<title>{escape(name)} {escape(m)}: {escape(format_value(v, unit))}</title></circle>"
                )
        parts.append("</g>")
    parts.append(f'<line class="chart-axis" x1="{x0}" y1="{_n(y_base)}" x2="{x1}" y2="{_n(y_base)}"/>')
    parts.append("</svg>")
    return mark_safe("".join(parts))
