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

from jiliang.core.dcc.crypto import SM2_SM3_URI
from jiliang.core.dcc.parse import parse_dcc, quantities, result_tables, upstream_certificates
from jiliang.core.dcc.schema import declared_version

from .models import Certificate, PdfSignature
from .records import ROLE_LABELS, TITLES, registry_unit

ALGORITHM_LABELS = {
    SM2_SM3_URI: "SM2/SM3 (GB/T 32918, GB/T 32905)",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256": "ECDSA P-256/SHA-256",
}
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
        return f"{x:.15g}"  # every digit the DCC gives (6 digits turned 10.000006 g into 0.01 kg)
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
    # List-valued results (si:realListXMLList, si:hybrid, DCC 2.x row lists) as tables:
    # {"caption", "heads": [(label, is_index)], "rows": [[cell]]}, index quantities first.
    tables: list[dict] = field(default_factory=list)

    @property
    def single_results(self) -> list[dict]:
        """The results outside any list (those in a list are shown in ``tables``)."""
        return [r for r in self.results if not r.get("in_list")]

    recalibration_due: str = ""  # a calibration's 建议复校日期, when the customer asked for one
    pdf_note: str = ""  # what signs the PDF itself (models.PdfSignature's label), printed on its cover

    @property
    def signer_rows(self) -> list[tuple[str, str]]:
        """(role, name) of the three signers, the role a key of records.ROLE_NAMES."""
        performer = "calibrator" if self.kind == Certificate.Kind.CALIBRATION else "verifier"
        if performer not in self.persons and "verifier" in self.persons:  # an older calibration DCC
            performer = "verifier"
        return [(r, self.persons.get(r, "")) for r in ("approver", "checker", performer)]

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

    @property
    def signature_rows(self) -> list[tuple[str, str, str, str]]:
        """Each electronic signature of the DCC: role (a key of records.ROLE_NAMES), signer
        (certificate subject), algorithm, serial."""
        rows = []
        for sig in self.signatures:
            role = sig.get("role") or ""
            method = sig.get("method") or ""
            rows.append((role, sig.get("signer") or "", ALGORITHM_LABELS.get(method, method), sig.get("serial") or ""))
        return rows

    def qr_svg(self) -> str:
        return segno.make(self.check_url, error="m").svg_inline(scale=3, border=2)


SIGNATURE_NOTES = {
    Certificate.SignatureStatus.PLATFORM: "本平台机构签名 signed with a platform institution's key",
    Certificate.SignatureStatus.TRUSTED: "外部签名，受信任 signed by a trusted outside signer",
    Certificate.SignatureStatus.UNTRUSTED: "外部签名，不受信任 signer not trusted here",
    Certificate.SignatureStatus.UNSIGNED: "未签名 unsigned",
}


# Printed on the PDF in both languages whatever the issuer's page language (models.PdfSignature).
PDF_NOTES = {
    PdfSignature.PADES: "本 PDF 带签发机构印章密钥的 PAdES 签名 This PDF is PAdES-signed with the issuing institution's seal key",
    PdfSignature.UNSIGNED_SM2: "本 PDF 未作 PDF 签名（SM2），以所附 SM2 签名的 DCC 为准 PDF not signed (SM2): the attached DCC prevails",
    PdfSignature.UNSIGNED_EXTERNAL: "外部导入：本 PDF 未签名，以所附 DCC 为准 Imported: PDF not signed, the attached DCC prevails",
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
                    "in_list": q.get("in_list", False),
                    "result": _text(q["result"]),
                    "quantity": _text(q["name"]),
                    "value": _fmt(v),
                    "unit": registry_unit(unit or ""),
                    "U": _fmt(u),
                    "k": _fmt(k[i] if isinstance(k, list) and i < len(k) else k),
                }
            )
    tables = [_table_view(t) for t in result_tables(xml)]
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
        tables=tables,
    )


def _table_view(table: dict) -> dict:
    """One list-valued result as rows of text: each quantity a column with its unit (a hybrid
    quantity one column per unit), its U and k beside it when it has them."""
    heads, columns = [], []
    for c in table["columns"]:
        unit = registry_unit(c["unit"]) if c["unit"] else ""
        heads.append((f"{_text(c['name'])} ({unit})" if unit else _text(c["name"]), c["index"]))
        columns.append(
            [
                _text(v) if isinstance(v, dict) else _fmt(v) + ("" if c["unit"] or not u else f" {registry_unit(u)}")
                for v, u in zip(c["values"], c["units"], strict=False)
            ]
        )
        if c["expanded_uncertainty"] is not None:
            heads.append((f"U ({unit})" if unit else "U", False))
            columns.append([_fmt(u) for u in c["expanded_uncertainty"]])
        if c["coverage_factor"] is not None:
            heads.append(("k", False))
            columns.append([_fmt(k) for k in c["coverage_factor"]])
    rows = [[col[i] if i < len(col) else "" for col in columns] for i in range(table["rows"])]
    return {"caption": _text(table["result"]), "heads": heads, "rows": rows}


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
    for role, name in view.signer_rows:
        c.setFont(CJK_FONT, 11)
        c.drawString(30 * mm, y, ROLE_LABELS.get(role, role))
        c.drawString(85 * mm, y, name)
        c.drawString(120 * mm, y, "（电子签名）")
        y -= 8 * mm
    c.drawString(30 * mm, y - 4 * mm, view.date_line)
    # The electronic signatures the attached DCC carries: each person's and the institution's seal.
    y -= 12 * mm
    c.setFont(CJK_FONT, 7)
    c.drawString(30 * mm, y, "电子签名 Electronic signatures (the attached DCC carries them)")
    for role, signer, algorithm, serial in view.signature_rows:
        y -= 4 * mm
        c.setFont(CJK_FONT, 7)
        c.drawString(30 * mm, y, ROLE_LABELS.get(role, role or "—"))
        c.drawString(62 * mm, y, signer[:40])
        c.setFont(LATIN_FONT, 7)
        c.drawString(128 * mm, y, f"{algorithm}  {serial[:16]}")
    if view.pdf_note:
        y -= 5 * mm
        c.setFont(CJK_FONT, 7)
        c.drawString(30 * mm, y, view.pdf_note[:120])
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
    version = declared_version(xml) or "?"  # an imported DCC keeps the version it was written in
    signed = ", XAdES-signed" if view.signatures else ""
    _embed_file(c, f"{view.number}.xml", xml, "application/xml", f"Digital calibration certificate (DCC {version}){signed}")
    c.showPage()
    c.save()
    return buf.getvalue()
