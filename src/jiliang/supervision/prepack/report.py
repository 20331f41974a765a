"""The inspection report (定量包装商品净含量计量检验报告) as a PDF (reportlab) and the data
the HTML page shows; both read the same ``report_context``.

Chinese text uses reportlab's CID font STSong-Light (no system font needed); the verdict is
also written in Latin letters, so the PDF is searchable without CJK text extraction.
"""

from __future__ import annotations

import io

from .models import Inspection

CJK_FONT = "STSong-Light"
# Characters the CID font has no glyph for, and what the PDF prints instead.
_PDF_SUBSTITUTES = str.maketrans({"\u2212": "-", "\u00b7": "*", "\u0304": "", "\u2022": "-"})


def report_context(inspection: Inspection) -> dict:
    units = list(inspection.units.order_by("position").values("position", "gross", "tare", "net"))
    T = inspection.T
    qn = float(inspection.nominal)
    for unit in units:
        q = unit["net"]
        unit["shortfall"] = None if q is None else qn - q
        unit["flag"] = "" if q is None or T is None else ("> 2T" if qn - q > 2 * T else ("> T" if qn - q > T else ""))
    scales = [
        {
            "code": link.instrument.code,
            "name": link.instrument.name,
            "model": link.instrument.model,
            "serial": link.instrument.serial_number,
            "traceable": link.traceable,
            "checked_on": link.checked_on,
            "chain": link.chain.get("links", []),
            "reasons": [r["label"] for r in link.chain.get("reasons", [])],
        }
        for link in inspection.scale_links.select_related("instrument")
    ]
    return {
        "inspection": inspection,
        "units": units,
        "scales": scales,
        "inspectors": list(inspection.inspectors.select_related("organisation")),
        "has_gross": inspection.mode in (Inspection.Mode.INDIVIDUAL_TARE, Inspection.Mode.AVERAGE_TARE),
    }


def _fmt(x, digits: int = 6) -> str:
    return "—" if x is None else f"{x:.{digits}g}"


def render_pdf(inspection: Inspection) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    ctx = report_context(inspection)
    i = inspection
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=9.5, leading=13)
    head = ParagraphStyle("head", parent=body, fontSize=16, leading=22, alignment=1)
    h2 = ParagraphStyle("h2", parent=body, fontSize=11.5, leading=16, spaceBefore=6)
    latin = ParagraphStyle("latin", fontName="Helvetica-Bold", fontSize=11, leading=15)

    def p(text, style=body):
        text = str(text).translate(_PDF_SUBSTITUTES)
        return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"), style)

    def grid(rows, widths, header=True):
        table = Table(
            [[p(c) if not hasattr(c, "wrap") else c for c in row] for row in rows],
            colWidths=widths,
            repeatRows=1 if header else 0,
        )
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        table.setStyle(TableStyle(style))
        return table

    u = i.unit
    story = [
        p("定量包装商品净含量计量检验报告", head),
        p(f"Net content inspection report | {i.number} | {i.edition}", ParagraphStyle("sub", parent=body, alignment=1)),
        *(
            [p(f"检验规则 Edition: {i.edition_choice.note}", ParagraphStyle("sub2", parent=body, alignment=1))]
            if i.edition_choice.provisional
            else []
        ),
        Spacer(1, 4 * mm),
        grid(
            [
                ["商品名称 Product", i.product_name, "商标 Brand", i.brand or "—"],
                ["规格 Specification", i.specification or "—", "标注净含量 Qn", i.nominal_text],
                ["生产者 Producer", i.producer.name, "统一社会信用代码", i.producer.credit_code],
                [
                    "抽样地点 Sampled at",
                    i.get_sampled_at_display() + (f"：{i.retailer.name}（{i.retailer.credit_code}）" if i.retailer else ""),
                    "抽样日期 Date",
                    i.sampling_date.isoformat(),
                ],
                ["批量 N", str(i.batch_size), "样本量 n", _fmt(i.n)],
                ["允许短缺量 T", f"{_fmt(i.T)} {u}", "修正因子 λ", _fmt(i.correction_factor)],
                [
                    "平均实际含量",
                    f"{_fmt(i.mean)} {u}" if i.mean is not None else "—（全检，不计算平均）",
                    "样本标准偏差 s",
                    _fmt(i.s),
                ],
                [
                    "短缺量 > T 件数",
                    f"{_fmt(i.short_T)}（允许 {_fmt(i.allowed_short_T)}，含 > 2T）",
                    "短缺量 > 2T 件数",
                    f"{_fmt(i.short_2T)}（允许 {_fmt(i.allowed_short_2T)}）",
                ],
                [
                    "测量方式 Method",
                    i.get_mode_display() + (f"，平均皮重 {_fmt(i.mean_tare)} {u}" if i.mean_tare is not None else ""),
                    "状态 Status",
                    i.get_status_display(),
                ],
            ],
            [32 * mm, 58 * mm, 32 * mm, 48 * mm],
            header=False,
        ),
        Spacer(1, 3 * mm),
        p(f"检验结论：{'合格' if i.passed else '不合格' if i.passed is False else '未判定'}", h2),
        Paragraph(f"Verdict: {'PASS' if i.passed else 'FAIL' if i.passed is False else 'NOT JUDGED'}", latin),
    ]
    for reason in i.reasons:
        story.append(p(f"- {reason}"))
    story += [
        p("检验人员 Inspectors", h2),
        p("、".join(f"{person.name}（{person.organisation.name}）" for person in ctx["inspectors"])),
    ]
    story.append(p("所用计量器具及溯源 Scales and their traceability on the inspection day", h2))
    scale_rows = [["器具编号", "名称 / 型号", "溯源核查", "溯源链（证书，有效期至）"]]
    for scale in ctx["scales"]:
        chain = "；".join(f"{link['instrument']} {link['certificate']} {link['valid_until']}".strip() for link in scale["chain"])
        verdict = (
            "可溯源 traceable" if scale["traceable"] else "不可溯源 NOT traceable"
        ) + f" ({scale['checked_on'].isoformat()})"
        scale_rows.append([scale["code"], f"{scale['name']} {scale['model']}".strip(), verdict, chain or "—"])
    story.append(grid(scale_rows, [30 * mm, 40 * mm, 36 * mm, 64 * mm]))
    story.append(p("单件实际含量 Units", h2))
    if ctx["has_gross"]:
        rows = [["序号", f"毛重 ({u})", f"皮重 ({u})", f"实际含量 ({u})", f"短缺量 ({u})", ""]]
        rows += [
            [str(x["position"]), _fmt(x["gross"], 8), _fmt(x["tare"], 8), _fmt(x["net"], 8), _fmt(x["shortfall"], 4), x["flag"]]
            for x in ctx["units"]
        ]
        widths = [14 * mm, 32 * mm, 32 * mm, 34 * mm, 32 * mm, 20 * mm]
    else:
        rows = [["序号", f"实际含量 ({u})", f"短缺量 ({u})", ""]]
        rows += [[str(x["position"]), _fmt(x["net"], 8), _fmt(x["shortfall"], 4), x["flag"]] for x in ctx["units"]]
        widths = [20 * mm, 60 * mm, 50 * mm, 30 * mm]
    story.append(grid(rows, widths))
    if i.tare_sample:
        story += [p("平均皮重样本 Tare sample", h2), p("  ".join(_fmt(t, 8) for t in i.tare_sample))]

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"定量包装商品净含量计量检验报告 {i.number}",
        author="Jiliang",
        subject=i.product_name,
    )
    doc.build(story)
    return buffer.getvalue()
