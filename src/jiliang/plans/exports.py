"""The indicators as the page shows them, for the page, the XLSX (openpyxl) and the PDF
(reportlab, the project's PDF path; the year-over-year charts drawn with reportlab's own
vector shapes, so the PDF needs no plotting library loaded). One context, read by all three."""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from jiliang.registry import models as reg

from . import indicators as ind

CJK_FONT = "STSong-Light"
TREND_YEARS = 5


def scope_code(actor) -> str | None:
    """The region an actor's indicators start from: a region's administrators and auditors
    their own region, the nation every province (None)."""
    if actor.region_scoped:
        return actor.region_prefix.ljust(6, "0")
    return None


def display(indicator: ind.Indicator, value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if indicator.kind in (ind.RATE, "coverage"):
        return f"{100 * value:.1f}%"
    if indicator.kind == ind.MEAN_DAYS:
        return f"{value:.1f}"
    return f"{int(value):d}"


@dataclass
class Column:
    code: str
    name: str


def columns(scope: str | None) -> list[Column]:
    """The scope region and the regions directly below it (the nation: the provinces)."""
    if scope is None:
        rows = reg.Region.objects.filter(level="province").order_by("code").values_list("code", "name")
        return [Column(c, n) for c, n in rows]
    region = reg.Region.objects.get(code=scope)
    below = region.children.order_by("code").values_list("code", "name")
    return [Column(region.code, region.name), *(Column(c, n) for c, n in below)]


def context(scope: str | None, year: int, *, today: dt.date | None = None) -> dict:
    """The page's (and the files') figures: every indicator for the year and the year before,
    for the scope region and the regions below it."""
    today = today or timezone.localdate()
    table = ind.figures([year - 1, year], scope, today=today)
    cols = columns(scope)
    head = scope or (cols[0].code if len(cols) == 1 else None)
    rows = []
    for i in ind.INDICATORS:
        cells = []
        for col in cols:
            fig = table.get(year, col.code, i.key)
            cells.append({"code": col.code, "figure": fig, "text": display(i, fig.value)})
        this = table.get(year, head, i.key) if head else None
        last = table.get(year - 1, head, i.key) if head else None
        change = None
        if this is not None and last is not None and this.value is not None and last.value is not None:
            change = this.value - last.value
        target = i.target(head, year) if (i.target and head) else None
        rows.append(
            {
                "indicator": i,
                "cells": cells,
                "this": display(i, this.value) if this else "—",
                "last": display(i, last.value) if last else "—",
                "change": _change_text(i, change),
                "target": display(i, target) if target is not None else "",
            }
        )
    breakdown = ind.standards_breakdown(year, _region_ids(scope), today)
    return {"year": year, "scope": scope, "head": head, "columns": cols, "rows": rows, "breakdown": breakdown, "table": table}


def _region_ids(scope: str | None) -> list[int] | None:
    if scope is None:
        return None
    return list(reg.Region.objects.filter(code__startswith=ind._prefix(scope)).values_list("id", flat=True))


def _change_text(i: ind.Indicator, change: float | None) -> str:
    if change is None:
        return "—"
    if i.kind in (ind.RATE, "coverage"):
        return f"{100 * change:+.1f} pp"
    if i.kind == ind.MEAN_DAYS:
        return f"{change:+.1f}"
    return f"{int(change):+d}"


def trends(code: str, year: int, *, today: dt.date | None = None) -> list[dict]:
    """Each indicator of one region over the last TREND_YEARS years, with its target line."""
    years = list(range(year - TREND_YEARS + 1, year + 1))
    table = ind.figures(years, code, today=today)
    out = []
    for i in ind.INDICATORS:
        scale = 100.0 if i.kind in (ind.RATE, "coverage") else 1.0
        values = [_scaled(table.get(y, code, i.key).value, scale) for y in years]
        targets = [_scaled(i.target(code, y), scale) if i.target else None for y in years]
        out.append({"indicator": i, "years": [str(y) for y in years], "values": values, "targets": targets})
    return out


def _scaled(v, scale):
    return None if v is None else round(float(v) * scale, 4)


# -- files ----------------------------------------------------------------------------------


def xlsx(ctx: dict) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = str(ctx["year"])
    cols = ctx["columns"]
    sheet.append([_("计量发展规划指标"), ctx["year"]])
    sheet.append([])
    header = [_("指标"), _("定义"), _("依据"), *(f"{c.name} ({c.code})" for c in cols), _("上年"), _("同比"), _("目标")]
    sheet.append(header)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in ctx["rows"]:
        i = row["indicator"]
        values = []
        for cell in row["cells"]:
            v = cell["figure"].value
            values.append(None if v is None else round(float(v), 4))
        sheet.append([str(i.name), str(i.definition), i.source, *values, row["last"], row["change"], row["target"]])
    for r in sheet.iter_rows(min_row=4, min_col=2, max_col=3):
        for cell in r:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 40
    standards = book.create_sheet(_("社会公用计量标准"))
    standards.append([_("领域"), _("等级"), _("项数")])
    for b in ctx["breakdown"]:
        standards.append([b["field__name"], b["level_label"], b["n"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def trend_drawing(series: dict, number: int, width: float, height: float):
    """One indicator's years as a small line chart (reportlab vector shapes: the PDF's own
    drawing, no plotting library to import): the values, the target dashed, the axis ends."""
    from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    left, right, bottom, top = 26.0, width - 6, 14.0, height - 12
    values = [v for v in (*series["values"], *series["targets"]) if v is not None]
    high = max(values) * 1.1 if values and max(values) > 0 else 1.0
    n = len(series["years"])

    def x(k):
        return left + (right - left) * (k / max(1, n - 1))

    def y(v):
        return bottom + (top - bottom) * (v / high)

    drawing.add(String(2, height - 9, f"({number})", fontName="Helvetica", fontSize=7))
    drawing.add(Line(left, bottom, right, bottom, strokeColor=colors.grey, strokeWidth=0.4))
    drawing.add(Line(left, bottom, left, top, strokeColor=colors.grey, strokeWidth=0.4))
    drawing.add(String(2, top - 3, f"{high:.3g}", fontName="Helvetica", fontSize=6))
    drawing.add(String(2, bottom - 2, "0", fontName="Helvetica", fontSize=6))
    for k, year in enumerate(series["years"]):
        drawing.add(String(x(k) - 6, 3, year, fontName="Helvetica", fontSize=6))
    for key, colour, dash in (("values", colors.HexColor("#1f5f8b"), None), ("targets", colors.HexColor("#b03030"), [3, 2])):
        points = [(x(k), y(v)) for k, v in enumerate(series[key]) if v is not None]
        if len(points) > 1:
            drawing.add(PolyLine([c for pt in points for c in pt], strokeColor=colour, strokeWidth=1.1, strokeDashArray=dash))
        if key == "values":
            for px, py in points:
                drawing.add(Circle(px, py, 1.6, fillColor=colour, strokeColor=colour))
    return drawing


def pdf(ctx: dict, trend_series: list[dict], region_name: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=8, leading=10.5)
    small = ParagraphStyle("small", parent=body, fontSize=7, leading=9, textColor=colors.HexColor("#444444"))
    head = ParagraphStyle("head", parent=body, fontSize=15, leading=20, alignment=1)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11, leading=15, spaceBefore=6)

    def p(text, style=body):
        text = str(text if text is not None else "—")
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm
    )
    story = [
        p(_("计量发展规划指标报告"), head),
        p(f"{region_name} · {ctx['year']} · " + _("生成日期：%(d)s") % {"d": timezone.localdate().isoformat()}),
        Spacer(1, 4 * mm),
    ]
    cols = ctx["columns"]
    data = [[p(_("指标")), *(p(c.name) for c in cols), p(_("上年")), p(_("同比")), p(_("目标"))]]
    for row in ctx["rows"]:
        data.append(
            [p(row["indicator"].name), *(p(c["text"]) for c in row["cells"]), p(row["last"]), p(row["change"]), p(row["target"])]
        )
    width = doc.width
    first = 55 * mm
    rest = (width - first) / (len(cols) + 3)
    table = Table(data, colWidths=[first] + [rest] * (len(cols) + 3), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm), p(_("指标定义与依据"), h2)]
    for row in ctx["rows"]:
        i = row["indicator"]
        story += [p(f"{i.name}：{i.definition}"), p(_("依据：%(s)s") % {"s": i.source}, small), Spacer(1, 1.5 * mm)]
    if trend_series:
        story.append(p(_("逐年变化与目标线（虚线为目标）"), h2))
        story.append(p("  ".join(f"({k + 1}) {s['indicator'].name}" for k, s in enumerate(trend_series)), small))
        cell_w, cell_h = width / 4, 30 * mm
        drawings = [trend_drawing(series, k + 1, cell_w - 4, cell_h) for k, series in enumerate(trend_series)]
        story.append(Table([drawings[k : k + 4] for k in range(0, len(drawings), 4)], colWidths=[cell_w] * 4))
    doc.build(story)
    return out.getvalue()
