"""A simple standalone HTML page of a DCC, for people. (The legal certificate layout and
the PDF come with the certificates app.)"""

from __future__ import annotations

from html import escape

from jiliang.core.dcc.parse import parse_dcc, quantities


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
        return f"{value:g}"
    return escape(str(value)) if value is not None else ""


def render_html(document, lang: str = "zh") -> str:
    """The DCC as one HTML page (no external resources)."""
    data = parse_dcc(document)
    langs = [lang] + [other for other in data["languages"] + ["en"] if other != lang]
    adm = data["administrative_data"] or {}
    lab = (adm.get("calibrationLaboratory") or {}).get("contact", {})
    customer = adm.get("customer") or {}
    rows = []
    for q in quantities(document):
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
    items = [_both(i.get("name"), langs) for i in _as_list((adm.get("items") or {}).get("item"))]
    persons = [
        f"{_both(p.get('person', {}).get('name'), langs)} ({escape(p.get('role', ''))})"
        for p in _as_list((adm.get("respPersons") or {}).get("respPerson"))
    ]
    statements = []
    for s in _as_list((adm.get("statements") or {}).get("statement")):
        verdict = s.get("conformity")
        statements.append(
            f"<li>{_both(s.get('declaration', {}).get('content', s.get('declaration')), langs)}"
            + (f" — <b>{escape(verdict)}</b>" if isinstance(verdict, str) else "")
            + "</li>"
        )
    signatures = [
        f"<li>{escape(s.get('signer') or '?')} {escape(s.get('role') or '')} {escape(s.get('signing_time') or '')}</li>"
        for s in data["signatures"]
    ]
    title = escape(data["unique_identifier"] or "")
    return f"""<!DOCTYPE html>
<html lang="{escape(lang)}"><head><meta charset="utf-8"><title>DCC {title}</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #999;padding:.2em .4em}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}</style></head>
<body>
<h1>数字校准证书 / Digital Calibration Certificate</h1>
<p>证书编号 / Certificate no.: <b>{title}</b> (DCC {escape(data["schema_version"] or "")})</p>
<p>校准机构 / Laboratory: {_both(lab.get("name"), langs)}</p>
<p>委托方 / Customer: {_both(customer.get("name"), langs)}</p>
<p>被校对象 / Item: {"; ".join(items)}</p>
<p>人员 / Responsible persons: {"; ".join(persons)}</p>
<ul>{"".join(statements)}</ul>
<h2>测量结果 / Measurement results</h2>
<table><tr><th>结果 / Result</th><th>量 / Quantity</th><th>值 / Value</th><th>单位 / Unit</th><th>U</th><th>k</th></tr>
{"".join(rows)}
</table>
<h2>签名 / Signatures</h2><ul>{"".join(signatures) or "<li>—</li>"}</ul>
</body></html>
"""
