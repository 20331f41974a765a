"""A certificate for people: the Chinese legal certificate layout (cover with the
institution, number, result and the verifier / checker / approver; then the results
pages), as an HTML page and as a PDF that carries the signed DCC XML as an embedded file.

Everything shown is read back from the signed DCC, not from the registry, so the page says
what the signatures cover.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field

import segno

from jiliang.core.dcc.parse import parse_dcc, quantities, upstream_certificates

from .models import Certificate
from .records import ROLE_LABELS, TITLES, registry_unit

CJK_FONT = "STSong-Light"  # a CID font shipped with reportlab: no system font needed
LATIN_FONT = "Helvetica"


def _text(value, lang: str = "zh") -> str:
    if isinstance(value, dict):
        if "content" in value:
            return _text(value["content"], lang)
        return value.get(lang) or value.get("zh") or value.get("en") or next(iter(value.values()), "")
    if isinstance(value, list):
        return "; ".join(_text(v, lang) for v in value)
    return "" if value is None else str(value)


def _fmt(x) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, list):
        return " ".join(_fmt(v) for v in x)
    return "" if x is None else str(x)


@dataclass
class CertificateView:
    number: str
    kind: str
    title: dict
    institution: str
    customer: str
    item: str
    model: str
    serial: str
    instrument_code: str
    manufacturer: str
    norm: str
    verdict: str
    conformity: str | None
    performed_on: str
    issue_date: str
    valid_until: str  # a passed verification's validity only
    persons: dict[str, str]
    results: list[dict] = field(default_factory=list)
    equipment: list[dict] = field(default_factory=list)
    signatures: list[dict] = field(default_factory=list)
    check_url: str = ""
    status: str = "issued"
    external_note: str = ""  # what an imported DCC is: not issued here, and who signed it
    revocation_reason: str = ""
    sha256: str = ""
    recalibration_due: str = ""  # a calibration's 建议复校日期, when the customer asked for one

    @property
    def signer_rows(self) -> list[tuple[str, str]]:
        performer = "calibrator" if self.kind == Certificate.Kind.CALIBRATION else "verifier"
        if performer not in self.persons and "verifier" in self.persons:  # an older calibration DCC
            performer = "verifier"
        return [(ROLE_LABELS[r], self.persons.get(r, "")) for r in ("approver", "checker", performer)]

    @property
    def date_line(self) -> str:
        """The dates the certificate states: a calibration has no 有效期至, a 检定结果通知书 neither."""
        if self.kind == Certificate.Kind.CALIBRATION:
            line = f"校准日期 {self.performed_on}"
            return f"{line}    建议复校日期 {self.recalibration_due}" if self.recalibration_due else line
        line = f"检定日期 {self.performed_on}"
        return (
            f"{line}    有效期至 {self.valid_until}" if self.kind == Certificate.Kind.VERIFICATION and self.valid_until else line
        )

    def qr_svg(self) -> str:
        return segno.make(self.check_url, error="m").svg_inline(scale=3, border=2)


SIGNATURE_NOTES = {
    Certificate.SignatureStatus.PLATFORM: "本平台机构签名 signed with a platform institution's key",
    Certificate.SignatureStatus.TRUSTED: "外部签名，受信任 signed by a trusted outside signer",
    Certificate.SignatureStatus.UNTRUSTED: "外部签名，不受信任 signer not trusted here",
    Certificate.SignatureStatus.UNSIGNED: "未签名 unsigned",
}


def external_note(cert: Certificate) -> str:
    if not cert.external:
        return ""
    note = f"外部导入 Imported · {SIGNATURE_NOTES.get(cert.signature_status, cert.signature_status)}"
    return f"{note} · {cert.signed_by}" if cert.signed_by else note


def certificate_view(cert: Certificate, check_url: str) -> CertificateView:
    xml = bytes(cert.xml)
    data = parse_dcc(xml)
    adm = data["administrative_data"] or {}
    core = adm.get("coreData") or {}
    item = ((adm.get("items") or {}).get("item") or [{}])[0]
    idents = {i.get("issuer"): i.get("value") for i in ((item.get("identifications") or {}).get("identification") or [])}
    statements = (adm.get("statements") or {}).get("statement") or []
    conformity = next((s.get("conformity") for s in statements if isinstance(s.get("conformity"), str)), None)
    verdict = next((_text(s.get("declaration")) for s in statements if s.get("@refType") == "basic_conformity"), "")
    valid_until = next(
        (
            _text(s.get("declaration")).replace("有效期至", "").strip()
            for s in statements
            if s.get("@refType") == "jiliang_validUntil"
        ),
        "",
    )
    due = next(
        (
            m.group()
            for s in statements
            if s.get("@refType") == "jiliang_recalibrationDue"
            for m in [re.search(r"\d{4}-\d{2}-\d{2}", _text(s.get("declaration")))]
            if m
        ),
        "",
    )
    norm = next((s.get("norm") for s in statements if s.get("norm")), "")
    if not norm:
        methods = [
            m
            for mr in ((data["measurement_results"] or {}).get("measurementResult") or [])
            for m in ((mr.get("usedMethods") or {}).get("usedMethod") or [])
        ]
        norm = "; ".join(str(m.get("norm") or _text(m.get("name"))) for m in methods)
    persons = {}
    for p in (adm.get("respPersons") or {}).get("respPerson") or []:
        persons[p.get("role")] = _text((p.get("person") or {}).get("name"))
    rows = []
    for q in quantities(xml):
        values = q.get("values", [q.get("value")])
        units = q.get("units", [q.get("unit")])
        uncs = q.get("expanded_uncertainty")
        for i, v in enumerate(values):
            unit = units[i] if i < len(units) else (units[-1] if units else "")
            u = uncs[i] if isinstance(uncs, list) and i < len(uncs) else (uncs if not isinstance(uncs, list) else None)
            k = q.get("coverage_factor")
            rows.append(
                {
                    "result": _text(q["result"]),
                    "quantity": _text(q["name"]),
                    "value": _fmt(v),
                    "unit": registry_unit(unit or ""),
                    "U": _fmt(u),
                    "k": _fmt(k[i] if isinstance(k, list) and i < len(k) else k),
                }
            )
    equipment = [
        {"name": _text(ref["equipment"]), "identifier": ref["identifier"] or "", "sha256": ref["hash"]}
        for ref in upstream_certificates(xml)
    ]
    customer = _text((adm.get("customer") or {}).get("name"))
    lab = _text(((adm.get("calibrationLaboratory") or {}).get("contact") or {}).get("name"))
    kind = cert.kind
    return CertificateView(
        number=cert.number,
        kind=kind,
        title=TITLES.get(kind, TITLES[Certificate.Kind.CALIBRATION]),
        institution=lab,
        customer=customer,
        item=_text(item.get("name")),
        model=str(item.get("model") or ""),
        serial=idents.get("manufacturer") or "",
        instrument_code=idents.get("calibrationLaboratory") or "",
        manufacturer=_text((item.get("manufacturer") or {}).get("name")),
        norm=norm or "",
        verdict=verdict,
        conformity=conformity,
        performed_on=str(core.get("beginPerformanceDate") or ""),
        issue_date=str(core.get("issueDate") or ""),
        valid_until=valid_until if cert.kind == Certificate.Kind.VERIFICATION else "",
        recalibration_due=due,
        persons=persons,
        results=rows,
        equipment=equipment,
        signatures=data["signatures"],
        check_url=check_url,
        status=cert.status,
        revocation_reason=cert.revocation_reason,
        external_note=external_note(cert),
        sha256=cert.sha256,
    )


# ---------------------------------------------------------------------------- PDF


def _embed_file(canvas, name: str, content: bytes, mime: str, description: str) -> None:
    """Attach ``content`` as an embedded file (PDF 1.7, 7.11.4) listed in the catalog's
    EmbeddedFiles name tree, so a PDF reader shows it as an attachment."""
    from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFStream, PDFString

    doc = canvas._doc
    stream = PDFStream(
        PDFDictionary(
            {
                "Type": "/EmbeddedFile",
                "Subtype": "/" + mime.replace("/", "#2F"),
                "Params": PDFDictionary({"Size": len(content)}),
                "Filter": "/FlateDecode",
            }
        ),
        zlib.compress(content),
    )
    spec = PDFDictionary(
        {
            "Type": "/Filespec",
            "F": PDFString(name),
            "UF": PDFString(name),
            "Desc": PDFString(description),
            "AFRelationship": "/Source",
            "EF": PDFDictionary({"F": doc.Reference(stream)}),
        }
    )
    spec_ref = doc.Reference(spec)
    doc.Catalog.Names = PDFDictionary({"EmbeddedFiles": PDFDictionary({"Names": PDFArray([PDFString(name), spec_ref])})})


def _qr(canvas, url: str, x: float, y: float, size: float) -> None:
    matrix = segno.make(url, error="m").matrix
    n = len(matrix)
    cell = size / n
    canvas.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                canvas.rect(x + c * cell, y + (n - 1 - r) * cell, cell, cell, stroke=0, fill=1)


def render_pdf(view: CertificateView, xml: bytes) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen.canvas import Canvas

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    buf = io.BytesIO()
    width, height = A4
    c = Canvas(buf, pagesize=A4, invariant=1)
    c.setTitle(f"{view.title['zh']} {view.number}")
    c.setAuthor(view.institution)
    c.setSubject("Digital calibration certificate (DCC) with the signed XML attached")

    def centred(text, y, size, font=CJK_FONT):
        c.setFont(font, size)
        c.drawCentredString(width / 2, y, text)

    # Cover (封面).
    centred(view.institution, height - 40 * mm, 18)
    centred(view.title["zh"], height - 62 * mm, 30)
    centred(view.title["en"], height - 72 * mm, 12, LATIN_FONT)
    c.setFont(CJK_FONT, 12)
    c.drawString(30 * mm, height - 90 * mm, "证书编号 Certificate No.:")
    c.setFont(LATIN_FONT, 12)
    c.drawString(85 * mm, height - 90 * mm, view.number)
    if view.external_note:
        c.setFont(CJK_FONT, 8)
        c.drawString(30 * mm, height - 97 * mm, view.external_note[:110])
    rows = [
        ("送检单位", view.customer),
        ("计量器具名称", view.item),
        ("型号/规格", view.model),
        ("出厂编号", view.serial),
        ("器具编号", view.instrument_code),
        ("制造单位", view.manufacturer),
        ("检定/校准依据", view.norm),
        ("检定结论" if view.kind != Certificate.Kind.CALIBRATION else "说明", view.verdict or "见校准结果"),
    ]
    y = height - 105 * mm
    for label, value in rows:
        c.setFont(CJK_FONT, 11)
        c.drawString(30 * mm, y, label)
        c.drawString(70 * mm, y, value[:48])
        y -= 9 * mm
    y -= 4 * mm
    for label, name in view.signer_rows:
        c.setFont(CJK_FONT, 11)
        c.drawString(30 * mm, y, label)
        c.drawString(85 * mm, y, name)
        c.drawString(120 * mm, y, "（电子签名）")
        y -= 8 * mm
    c.drawString(30 * mm, y - 4 * mm, view.date_line)
    _qr(c, view.check_url, width - 55 * mm, 20 * mm, 32 * mm)
    c.setFont(CJK_FONT, 8)
    c.drawString(20 * mm, 30 * mm, "扫描二维码核验本证书 / Scan to check this certificate")
    c.setFont(LATIN_FONT, 7)
    c.drawString(20 * mm, 25 * mm, view.check_url[:110])
    c.drawString(20 * mm, 20 * mm, f"DCC SHA-256 {view.sha256}")
    if view.status == Certificate.Status.REVOKED:
        c.setFont(CJK_FONT, 40)
        c.setFillColorRGB(0.8, 0, 0)
        c.drawCentredString(width / 2, height / 2, "已撤销 REVOKED")
        c.setFillColorRGB(0, 0, 0)
    c.showPage()

    # Results pages (结果页).
    def header(page_title):
        c.setFont(CJK_FONT, 9)
        c.drawString(20 * mm, height - 15 * mm, f"{view.institution}  {view.title['zh']}")
        c.setFont(LATIN_FONT, 9)
        c.drawRightString(width - 20 * mm, height - 15 * mm, view.number)
        c.setFont(CJK_FONT, 14)
        c.drawString(20 * mm, height - 28 * mm, page_title)
        return height - 40 * mm

    y = header("检定/校准结果 Results")
    columns = [(20, "结果"), (70, "量"), (110, "测得值"), (140, "单位"), (160, "U"), (180, "k")]
    c.setFont(CJK_FONT, 9)
    for x, label in columns:
        c.drawString(x * mm, y, label)
    y -= 6 * mm
    for row in view.results:
        if y < 25 * mm:
            c.showPage()
            y = header("检定/校准结果（续） Results (continued)")
        for (x, _), key in zip(columns, ("result", "quantity", "value", "unit", "U", "k")):
            c.setFont(CJK_FONT if key in ("result", "quantity") else LATIN_FONT, 9)
            c.drawString(x * mm, y, str(row[key])[:26])
        y -= 5.5 * mm
    if view.equipment:
        y -= 6 * mm
        c.setFont(CJK_FONT, 11)
        c.drawString(20 * mm, y, "所用计量标准及其证书 Measuring equipment and upstream certificates")
        y -= 7 * mm
        for eq in view.equipment:
            if y < 25 * mm:
                c.showPage()
                y = header("所用计量标准（续）")
            c.setFont(CJK_FONT, 9)
            c.drawString(20 * mm, y, eq["name"][:40])
            c.setFont(LATIN_FONT, 7)
            c.drawString(110 * mm, y, f"{eq['identifier'] or '-'}  {eq['sha256'][:16]}")
            y -= 5.5 * mm
    c.setFont(CJK_FONT, 8)
    c.drawString(
        20 * mm, 15 * mm, "本证书附有签名的数字校准证书 (DCC XML)，以其为准。The signed DCC XML is attached and prevails."
    )
    _embed_file(c, f"{view.number}.xml", xml, "application/xml", "Digital calibration certificate (DCC 3.3.0), XAdES-signed")
    c.showPage()
    c.save()
    return buf.getvalue()
