"""A simple standalone HTML page of a DCC, for people. (The legal certificate layout and
the PDF come with the certificates app.)"""

from __future__ import annotations

from html import escape

from jiliang.core.dcc.parse import parse_dcc, quantities, result_tables
from jiliang.core.dcc.schema import SUPPORTED_VERSIONS


def _pick(text, langs: list[str]) -> str:
    if isinstance(text, str):
        return text
    if not isinstance(text, dict) or not text:
        return ""
    for lang in langs:
        if lang in text:
            return text[lang]
    return next(iter(text.values()))


def _both(text, langs: list[str]) -> str:
    """The label in each used language, primary first: "校准结果 / Calibration results"."""
    if not isinstance(text, dict):
        return escape(str(text or ""))
    seen = []
    for lang in langs + [k for k in text if k not in langs]:
        if lang in text and text[lang] not in seen:
            seen.append(text[lang])
    return " / ".join(escape(t) for t in seen)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _unit_label(units) -> str:
    """``\\mega\\pascal`` shown as "MPa (\\mega\\pascal)"; unknown strings as they are."""
    from jiliang.core.dcc.dsi import to_pint

    labels = []
    for unit in _as_list(units):
        try:
            labels.append(f"{to_pint(unit):~P} ({unit})")
        except (ValueError, KeyError, AttributeError):
            labels.append(unit)
    return escape(" ".join(labels))


def _fmt(value) -> str:
    if isinstance(value, list):
        return " ".join(_fmt(v) for v in value)
    if isinstance(value, float):
        # As the document writes it (up to 15 digits): a mass of 10.000006 g must not read 0.01 kg.
        return f"{value:.15g}"
    return escape(str(value)) if value is not None else ""


def _dict(value) -> dict:
    """``value`` when it is a mapping, else empty: documents of other versions (DCC 2.x) put
    text, lists or nothing where 3.3.0 has an element, and a page shows what it can read."""
    return value if isinstance(value, dict) else {}


def _dicts(value) -> list[dict]:
    return [v for v in _as_list(value) if isinstance(v, dict)]


def _cell(value, langs: list[str]) -> str:
    if isinstance(value, dict):  # text of a dcc:noQuantity, by language
        return _both(value, langs)
    return _fmt(value)


def _table_html(table: dict, langs: list[str]) -> str:
    """One list-valued result as a table: a row per list position, the index quantities
    (reference values, indications) first, then each result with its U and k."""
    heads, cells = [], []
    for c in table["columns"]:
        unit = f" [{_unit_label(c['unit'])}]" if c["unit"] else ""
        mark = ' class="index"' if c["index"] else ""
        heads.append(f"<th{mark}>{_both(c['name'], langs)}{unit}</th>")
        cells.append(
            [
                _cell(v, langs) + ("" if c["unit"] or u is None else f" {_unit_label(u)}")
                for v, u in zip(c["values"], c["units"], strict=False)
            ]
        )
        if c["expanded_uncertainty"] is not None:
            heads.append(f"<th>U{unit}</th>")
            cells.append([_fmt(u) for u in c["expanded_uncertainty"]])
        if c["coverage_factor"] is not None:
            heads.append("<th>k</th>")
            cells.append([_fmt(k) for k in c["coverage_factor"]])
    body = "".join(
        "<tr>" + "".join(f"<td class=n>{column[i] if i < len(column) else ''}</td>" for column in cells) + "</tr>"
        for i in range(table["rows"])
    )
    return f'<table class="result-list"><caption>{_both(table["result"], langs)}</caption><tr>{"".join(heads)}</tr>{body}</table>'


def render_html(document, lang: str = "zh") -> str:
    """The DCC as one HTML page (no external resources). Documents of any DCC version are
    shown as far as they can be read: single values in one table, list-valued results
    (``si:realListXMLList``, ``si:hybrid``, DCC 2.x row lists) each as a table of its own."""
    data = parse_dcc(document)
    langs = [lang] + [other for other in data["languages"] + ["en"] if other != lang]
    adm = _dict(data["administrative_data"])
    contacts = _dicts(_dict(adm.get("calibrationLaboratory")).get("contact"))  # DCC 2.x allows several
    lab = contacts[0] if contacts else {}
    customer = _dict(adm.get("customer"))
    rows = []
    for q in quantities(document):
        if q.get("in_list"):
            continue  # shown in its table below
        unc = q.get("expanded_uncertainty")
        rows.append(
            "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>".format(
                _both(q["result"], langs),
                _both(q["name"], langs),
                _fmt(q.get("value", q.get("values"))),
                _unit_label(q.get("unit", q.get("units"))),
                _fmt(unc),
                _fmt(q.get("coverage_factor")),
            )
        )
    tables = [_table_html(t, langs) for t in result_tables(document)]
    items = [_both(i.get("name"), langs) for i in _dicts(_dict(adm.get("items")).get("item"))]
    persons = [
        f"{_both(_dict(p.get('person')).get('name'), langs)} ({escape(p.get('role') or '')})"
        for p in _dicts(_dict(adm.get("respPersons")).get("respPerson"))
    ]
    statements = []
    for s in _dicts(_dict(adm.get("statements")).get("statement")):
        verdict = s.get("conformity")
        declaration = s.get("declaration")
        statements.append(
            f"<li>{_both(_dict(declaration).get('content', declaration), langs)}"
            + (f" — <b>{escape(verdict)}</b>" if isinstance(verdict, str) else "")
            + "</li>"
        )
    signatures = [
        f"<li>{escape(s.get('signer') or '?')} {escape(s.get('role') or '')} {escape(s.get('signing_time') or '')}</li>"
        for s in data["signatures"]
    ]
    title = escape(data["unique_identifier"] or "")
    version = data["schema_version"] or ""
    caveat = (
        f'<p class="caveat">不支持 DCC 模式版本 {escape(version)}（无法按其 XSD 校验），以下仅显示可读取的内容。 / '
        f"DCC schema version {escape(version)} is not supported (no XSD to validate it against); shown as far as it can be read. "
        f"({escape(', '.join(SUPPORTED_VERSIONS))})</p>"
        if version not in SUPPORTED_VERSIONS
        else ""
    )
    flat = (
        "<table><tr><th>结果 / Result</th><th>量 / Quantity</th><th>值 / Value</th><th>单位 / Unit</th><th>U</th><th>k</th></tr>\n"
        + "".join(rows)
        + "\n</table>"
        if rows or not tables
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}"><head><meta charset="utf-8"><title>DCC {title}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;width:100%;margin:.5em 0}}
td,th{{border:1px solid #999;padding:.2em .4em}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}
caption{{text-align:left;font-weight:bold}}th.index{{background:#eef}}</style></head>
<body>
<h1>数字校准证书 / Digital Calibration Certificate</h1>
<p>证书编号 / Certificate no.: <b>{title}</b> (DCC {escape(version)})</p>
{caveat}
<p>校准机构 / Laboratory: {_both(lab.get("name"), langs)}</p>
<p>委托方 / Customer: {_both(customer.get("name"), langs)}</p>
<p>被校对象 / Item: {"; ".join(items)}</p>
<p>人员 / Responsible persons: {"; ".join(persons)}</p>
<ul>{"".join(statements)}</ul>
<h2>测量结果 / Measurement results</h2>
{flat}
{"".join(tables)}
<h2>签名 / Signatures</h2><ul>{"".join(signatures) or "<li>—</li>"}</ul>
</body></html>
"""
