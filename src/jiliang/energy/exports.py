"""The review report (能源计量审查报告 / 碳计量审查报告) as XLSX (openpyxl) and PDF (reportlab),
and the overview by region and sector as XLSX; the page and both files read one context.

Every file is worded in the active language, as the project's other exports are: the
request's (LocaleMiddleware: the reader's choice or Accept-Language), Chinese by default.
The regulation references of the checklist (依据) and the unit's own data stay as written."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Review
from .rules import CHECKLISTS

CJK_FONT = "STSong-Light"
VERDICT_TEXT = {"yes": gettext_lazy("符合"), "no": gettext_lazy("不符合"), "na": gettext_lazy("不适用")}


def emission_sources(unit) -> list[dict]:
    """The carbon review's table: each emission source of the unit (its boundary points that
    name one), the quantity measured there last month, the meters behind it and the relative
    standard uncertainty their class gives (MPE c % as a rectangular distribution, c/√3 %)."""
    from jiliang.core import energy_metering as em

    from .models import EnergyMeter, Level

    latest = unit.months.order_by("-month").first()
    amounts = latest.by_type if latest else {}
    rows = []
    points = unit.points.filter(level=Level.ENTRY).exclude(emission_source="").order_by("energy_type", "name")
    for point in points:
        meters = list(EnergyMeter.objects.filter(point=point).select_related("instrument"))
        classes = [em.class_percent(m.accuracy_class) or 0.0 for m in meters]
        rows.append(
            {
                "source": point.emission_source,
                "point": point.name,
                "energy_type": point.get_energy_type_display(),
                "amount": amounts.get(point.energy_type),
                "unit": em.FACTORS[point.energy_type]["unit"],
                "meters": "、".join(f"{m.instrument.code}（{m.accuracy_class}）" for m in meters) or "—",
                "u_rel": max(classes) / 3**0.5 if classes else None,
                "factor_source": em.EMISSION_FACTORS[point.energy_type]["source"],
            }
        )
    return rows


def review_context(review: Review) -> dict:
    rows = []
    for code, label, source in CHECKLISTS[review.kind]:
        entry = review.checklist.get(code, {})
        rows.append(
            {
                "code": code,
                "label": str(label),
                "source": source,
                "verdict": str(VERDICT_TEXT.get(entry.get("verdict"), "—")),
                "note": entry.get("note", ""),
            }
        )
    return {
        "review": review,
        "unit": review.unit,
        "rows": rows,
        "findings": list(review.findings.all()),
        "configuration": review.configuration,
        "sources": emission_sources(review.unit) if review.kind == Review.Kind.CARBON else [],
    }


def review_xlsx(review: Review) -> bytes:
    from openpyxl import Workbook

    ctx = review_context(review)
    book = Workbook()
    sheet = book.active
    sheet.title = review.number
    unit = review.unit
    for row in (
        [_("审查编号"), review.number],
        [_("类型"), str(review.get_kind_display())],
        [_("被审查单位"), unit.organisation.name],
        [_("统一社会信用代码"), unit.organisation.credit_code],
        [_("审查日期"), review.started_on],
        [_("审查组"), review.reviewers],
        [_("审查结论"), str(review.get_result_display()) if review.result else ""],
        [_("结论日期"), review.decided_on],
        [],
        [_("审查项目"), _("内容"), _("依据"), _("结论"), _("说明")],
    ):
        sheet.append(row)
    for r in ctx["rows"]:
        sheet.append([r["code"], r["label"], r["source"], r["verdict"], r["note"]])
    sheet.append([])
    sheet.append([_("不符合项"), _("不符合事实"), _("整改情况"), _("整改日期")])
    for f in ctx["findings"]:
        sheet.append([f.item, f.description, f.rectification, f.rectified_on])
    sheet.append([])
    sheet.append([_("计量级别"), _("能源种类"), _("应配备"), _("已配备"), _("配备率 %"), _("要求 %")])
    for rate in ctx["configuration"].get("rates", []):
        sheet.append([rate["level"], rate["energy_type"], rate["required"], rate["installed"], rate["rate"], rate["threshold"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def overview_xlsx(rows: list[dict], month) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = str(month or "-")[:7]
    sheet.append(
        [
            _("地区代码"),
            _("地区"),
            _("行业"),
            _("单位数"),
            _("综合能耗 tce"),
            _("标准不确定度（tce）"),
            _("二氧化碳排放（t）"),
            _("标准不确定度（tCO2）"),
        ]
    )
    for r in rows:
        sheet.append([r["region_code"], r["region"], r["sector"], r["units"], r["tce"], r["u_tce"], r["co2_t"], r["u_co2_t"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def review_pdf(review: Review) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    ctx = review_context(review)
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=9.5, leading=13)
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=22, alignment=1)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=16, spaceBefore=6)

    def p(text, style=body):
        text = str(text if text is not None else "—")
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    def grid(rows, widths, header=True):
        table = Table([[p(c) for c in row] for row in rows], colWidths=widths, repeatRows=1 if header else 0)
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        table.setStyle(TableStyle(style))
        return table

    unit = review.unit
    title = _("重点用能单位能源计量审查报告") if review.kind == Review.Kind.ENERGY else _("重点排放单位碳计量审查报告（试点）")
    law = _("《能源计量监督管理办法》")
    story = [
        p(title, head),
        p(f"{review.number} | JJF 1356-2012 | {law}", ParagraphStyle("sub", parent=body, alignment=1)),
        Spacer(1, 4 * mm),
        grid(
            [
                [_("被审查单位"), unit.organisation.name, _("统一社会信用代码"), unit.organisation.credit_code],
                [_("行业"), unit.sector, _("审查日期"), review.started_on.isoformat()],
                [_("审查组"), review.reviewers or "—", _("状态"), review.get_status_display()],
                [
                    _("审查结论"),
                    review.get_result_display() if review.result else "—",
                    _("结论日期"),
                    review.decided_on.isoformat() if review.decided_on else "—",
                ],
            ],
            [30 * mm, 60 * mm, 30 * mm, 50 * mm],
            header=False,
        ),
        p(_("审查记录"), h2),
        grid(
            [[_("项目"), _("内容"), _("依据"), _("结论"), _("说明")]]
            + [[r["code"], r["label"], r["source"], r["verdict"], r["note"]] for r in ctx["rows"]],
            [12 * mm, 58 * mm, 45 * mm, 17 * mm, 38 * mm],
        ),
        p(_("能源计量器具配备（GB 17167-2006）"), h2),
        grid(
            [[_("计量级别"), _("能源种类"), _("应配备"), _("已配备"), _("配备率 %"), _("要求 %")]]
            + [
                [r["level"], r["energy_type"], r["required"], r["installed"], f"{r['rate']:.1f}", r["threshold"]]
                for r in ctx["configuration"].get("rates", [])
            ],
            [30 * mm, 30 * mm, 25 * mm, 25 * mm, 30 * mm, 30 * mm],
        ),
    ]
    if ctx["sources"]:
        story += [
            p(_("排放源与活动数据计量"), h2),
            grid(
                [[_("排放源"), _("计量点"), _("上月计量值"), _("计量器具（等级）"), _("相对标准不确定度"), _("排放因子来源")]]
                + [
                    [
                        r["source"],
                        r["point"],
                        "—" if r["amount"] is None else f"{r['amount']:.6g} {r['unit']}",
                        r["meters"],
                        "—" if r["u_rel"] is None else f"{r['u_rel']:.2f} %",
                        r["factor_source"],
                    ]
                    for r in ctx["sources"]
                ],
                [22 * mm, 25 * mm, 25 * mm, 35 * mm, 20 * mm, 43 * mm],
            ),
        ]
    story.append(p(_("不符合项与整改"), h2))
    if ctx["findings"]:
        story.append(
            grid(
                [[_("项目"), _("不符合事实"), _("整改情况"), _("整改日期")]]
                + [
                    [f.item, f.description, f.rectification or "—", f.rectified_on.isoformat() if f.rectified_on else "—"]
                    for f in ctx["findings"]
                ],
                [15 * mm, 65 * mm, 65 * mm, 25 * mm],
            )
        )
    else:
        story.append(p(_("无")))
    if review.summary:
        story += [p(_("审查意见"), h2), p(review.summary)]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=review.number).build(story)
    return out.getvalue()
