"""Parse any DCC (2.2 and later) into plain data: dicts, lists, strings and floats, ready for JSON.

The conversion is generic (element local name -> value; repeated names -> list;
attributes as ``@name``) with three shapes made friendlier: multilingual text becomes
``{lang: text}``, ``si:real`` / ``si:realListXMLList`` quantities become numbers with unit
and uncertainty, and signatures become a short summary.
"""

from __future__ import annotations

import base64

from cryptography import x509
from lxml import etree

from jiliang.core.dcc import dsi
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.schema import parse_xml

DCC_NS = "https://ptb.de/dcc"
SI_NS = "https://ptb.de/si"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
XADES_NS = "http://uri.etsi.org/01903/v1.3.2#"
_NS = {"dcc": DCC_NS, "si": SI_NS, "ds": DS_NS, "xades": XADES_NS}


def _local(tag) -> str:
    return etree.QName(tag).localname


def _float(text: str | None):
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text.strip()


def _floats(text: str | None) -> list:
    return [_float(t) for t in (text or "").split()]


def _strings(text: str | None) -> list[str]:
    return (text or "").split()


def _children(el):
    return [c for c in el if isinstance(c.tag, str)]


def _is_text(el, children) -> bool:
    return bool(children) and all(c.tag == f"{{{DCC_NS}}}content" for c in children)


def _uncertainty(real) -> dict:
    out: dict = {}
    mu = real.find("si:measurementUncertaintyUnivariate/si:expandedMU", _NS)
    if mu is not None:
        out["expanded_uncertainty"] = _float(mu.findtext("si:valueExpandedMU", namespaces=_NS))
    else:
        mu = real.find("si:expandedUnc", _NS)
        if mu is not None:
            out["expanded_uncertainty"] = _float(mu.findtext("si:uncertainty", namespaces=_NS))
    if mu is not None:
        out["coverage_factor"] = _float(mu.findtext("si:coverageFactor", namespaces=_NS))
        out["coverage_probability"] = _float(mu.findtext("si:coverageProbability", namespaces=_NS))
        if mu.findtext("si:distribution", namespaces=_NS):
            out["distribution"] = mu.findtext("si:distribution", namespaces=_NS)
    std = real.find("si:measurementUncertaintyUnivariate/si:standardMU", _NS)
    if std is not None:
        out["standard_uncertainty"] = _float(std.findtext("si:valueStandardMU", namespaces=_NS))
    return out


def _real(real) -> dict:
    out = {"value": _float(real.findtext("si:value", namespaces=_NS)), "unit": real.findtext("si:unit", namespaces=_NS)}
    for tag in ("label", "dateTime"):
        if real.find(f"si:{tag}", _NS) is not None:
            out[tag] = real.findtext(f"si:{tag}", namespaces=_NS)
    out.update(_uncertainty(real))
    return out


def _real_list(el) -> dict:
    out = {
        "values": _floats(el.findtext("si:valueXMLList", namespaces=_NS)),
        "units": _strings(el.findtext("si:unitXMLList", namespaces=_NS)),
    }
    if el.find("si:labelXMLList", _NS) is not None:
        out["labels"] = _strings(el.findtext("si:labelXMLList", namespaces=_NS))
    mu = el.find("si:expandedUncXMLList", _NS)
    if mu is not None:
        out["expanded_uncertainty"] = _floats(mu.findtext("si:uncertaintyXMLList", namespaces=_NS))
        out["coverage_factor"] = _floats(mu.findtext("si:coverageFactorXMLList", namespaces=_NS))
        out["coverage_probability"] = _floats(mu.findtext("si:coverageProbabilityXMLList", namespaces=_NS))
    mu = el.find("si:measurementUncertaintyUnivariateXMLList/si:expandedMUXMLList", _NS)
    if mu is not None:
        out["expanded_uncertainty"] = _floats(mu.findtext("si:valueExpandedMUXMLList", namespaces=_NS))
        out["coverage_factor"] = _floats(mu.findtext("si:coverageFactorXMLList", namespaces=_NS))
        out["coverage_probability"] = _floats(mu.findtext("si:coverageProbabilityXMLList", namespaces=_NS))
    return out


def _signature_summary(sig) -> dict:
    out = {
        "id": sig.get("Id"),
        "signing_time": sig.findtext(".//xades:SigningTime", namespaces=_NS),
        "role": sig.findtext(".//xades:ClaimedRole", namespaces=_NS),
        "method": sig.find("ds:SignedInfo/ds:SignatureMethod", _NS).get("Algorithm")
        if sig.find("ds:SignedInfo/ds:SignatureMethod", _NS) is not None
        else None,
    }
    cert_node = sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", _NS)
    if cert_node is not None and cert_node.text:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_node.text.split())))
            out["signer"] = cert.subject.rfc4514_string()
            out["serial"] = f"{cert.serial_number:x}"
        except ValueError:
            out["signer"] = None
    return out


def element_to_data(el):
    """Generic element -> plain data."""
    children = _children(el)
    if el.tag == f"{{{SI_NS}}}real":
        return _real(el)
    if el.tag == f"{{{SI_NS}}}realListXMLList":
        return _real_list(el)
    if _is_text(el, children):
        return {c.get("lang") or "": (c.text or "").strip() for c in children}
    if not children:
        text = (el.text or "").strip()
        if el.attrib:
            return {**{f"@{_local(k)}": v for k, v in el.attrib.items()}, "#text": text}
        return text
    out: dict = {f"@{_local(k)}": v for k, v in el.attrib.items() if etree.QName(k).namespace is None}
    repeated: set[str] = set()
    for child in children:
        if child.tag == f"{{{DS_NS}}}Signature":
            out.setdefault("signatures", []).append(_signature_summary(child))
            continue
        key = _local(child.tag)
        value = element_to_data(child)
        if key in out:
            if key not in repeated:
                out[key] = [out[key]]
                repeated.add(key)
            out[key].append(value)
        else:
            out[key] = value
    return out


# Containers whose children are always a list, whatever their count.
_LIST_CONTAINERS = {
    "items": "item",
    "identifications": "identification",
    "respPersons": "respPerson",
    "statements": "statement",
    "measurementResults": "measurementResult",
    "results": "result",
    "measuringEquipments": "measuringEquipment",
    "usedMethods": "usedMethod",
    "influenceConditions": "influenceCondition",
    "dccSoftware": "software",
}


def _normalise_lists(data):
    if isinstance(data, dict):
        for container, child in _LIST_CONTAINERS.items():
            if container in data and isinstance(data[container], dict) and child in data[container]:
                if not isinstance(data[container][child], list):
                    data[container][child] = [data[container][child]]
        for value in data.values():
            _normalise_lists(value)
    elif isinstance(data, list):
        for value in data:
            _normalise_lists(value)
    return data


def unit_problems(root) -> list[str]:
    """D-SI unit strings in the document that do not parse (the XSD cannot see these)."""
    problems = []
    for node in root.iter(f"{{{SI_NS}}}unit", f"{{{SI_NS}}}unitXMLList"):
        for unit in (node.text or "").split():
            try:
                dsi.parse_unit(unit)
            except DccError as exc:
                problems.append(f"line {node.sourceline}: {exc}")
    return problems


def parse_dcc(document) -> dict:
    """Any DCC document in the namespace https://ptb.de/dcc (2.2.0 and later) as plain data;
    what an older layout holds where 3.x has something else is passed on as it is."""
    root = parse_xml(document).getroot()
    if root.tag != f"{{{DCC_NS}}}digitalCalibrationCertificate":
        if _local(root.tag) == "digitalCalibrationCertificate" and root.get("schemaVersion"):
            # DCC 2.1 and earlier used a pre-release namespace on PTB's intranet: not this format.
            raise DccError(
                f"DCC schema version {root.get('schemaVersion')} (namespace {etree.QName(root).namespace}) "
                f"cannot be read; documents in the namespace {DCC_NS} (DCC 2.2.0 and later) can",
                field="document",
                code="dcc_version_unreadable",
                version=root.get("schemaVersion"),
                namespace=etree.QName(root).namespace or "",
            )
        raise DccError(
            f"root element is {root.tag!r}, not dcc:digitalCalibrationCertificate",
            field="document",
            code="dcc_root_element",
            got=repr(root.tag),
        )
    body = _normalise_lists(element_to_data(root))
    core = root.find("dcc:administrativeData/dcc:coreData", _NS)
    return {
        "schema_version": root.get("schemaVersion"),
        "unique_identifier": core.findtext("dcc:uniqueIdentifier", namespaces=_NS) if core is not None else None,
        "languages": [e.text for e in core.findall("dcc:usedLangCodeISO639_1", _NS)] if core is not None else [],
        "mandatory_languages": [e.text for e in core.findall("dcc:mandatoryLangCodeISO639_1", _NS)] if core is not None else [],
        "administrative_data": body.get("administrativeData"),
        "measurement_results": body.get("measurementResults"),
        "comment": body.get("comment"),
        "signatures": body.get("signatures", []),
        "unit_problems": unit_problems(root),
    }


def quantities(document) -> list[dict]:
    """Every quantity of the measurement results, flattened, with the result it belongs to."""
    root = parse_xml(document).getroot()
    rows = []
    for result in root.iterfind(".//dcc:measurementResults//dcc:result", _NS):
        result_name = element_to_data(result.find("dcc:name", _NS)) if result.find("dcc:name", _NS) is not None else {}
        for q in result.iterfind(".//dcc:quantity", _NS):
            name = q.find("dcc:name", _NS)
            row = {
                "result": result_name,
                "name": element_to_data(name) if name is not None else {},
                "ref_type": q.get("refType"),
                "in_list": next(q.iterancestors(f"{{{DCC_NS}}}list"), None) is not None,  # shown by result_tables
            }
            real = q.find("si:real", _NS)
            lst = q.find("si:realListXMLList", _NS)
            if real is not None:
                row.update(_real(real))
            elif lst is not None:
                row.update(_real_list(lst))
            else:
                continue
            rows.append(row)
    return rows


def document_sha256(document: bytes) -> str:
    """The hash a downstream DCC records for this one: SHA-256 of the file's exact bytes."""
    import hashlib

    if not isinstance(document, (bytes, bytearray)):
        raise DccError("the hash is taken over the file's bytes; pass bytes", field="document", code="dcc_hash_needs_bytes")
    return hashlib.sha256(document).hexdigest()


def upstream_certificates(document) -> list[dict]:
    """The certificates of the standards used, as each measuring-equipment entry records them."""
    root = parse_xml(document).getroot()
    refs = []
    for eq in root.iterfind(".//dcc:measuringEquipment", _NS):
        cert = eq.find("dcc:certificate", _NS)
        if cert is None:
            continue
        name = eq.find("dcc:name", _NS)
        refs.append(
            {
                "equipment": element_to_data(name) if name is not None else {},
                "identifier": cert.findtext("dcc:referralID", namespaces=_NS),
                "procedure": cert.findtext("dcc:procedure", namespaces=_NS),
                "hash": (cert.findtext("dcc:value", namespaces=_NS) or "").strip().lower(),
            }
        )
    return refs


def check_upstream(document, upstream: dict[str, bytes]) -> list[str]:
    """Problems in the traceability links: each referenced upstream certificate (by its
    identifier, bytes supplied by the caller) must hash to the recorded SHA-256."""
    problems = []
    for ref in upstream_certificates(document):
        ident = ref["identifier"]
        if (ref["procedure"] or "").upper().replace("_", "-") != "SHA-256":
            problems.append(f"upstream {ident}: hash procedure {ref['procedure']!r} is not SHA-256")
        elif ident not in upstream:
            problems.append(f"upstream {ident}: certificate not supplied")
        elif document_sha256(upstream[ident]) != ref["hash"]:
            problems.append(f"upstream {ident}: SHA-256 does not match the recorded hash")
    return problems


# ----------------------------------------------------------------------- tables of results

# Quantities that index a table of results (the calibration points): reference values,
# nominal values and the item's indications. DCC refTypes of the "basic" namespace (PTB's
# DCC Good Practice examples use basic_referenceValue and basic_measuredValue for them).
INDEX_REF_TYPES = frozenset({"basic_referenceValue", "basic_nominalValue", "basic_measuredValue", "basic_indicatedValue"})


def _is_index(ref_type: str | None) -> bool:
    return bool(set((ref_type or "").split()) & INDEX_REF_TYPES)


def _representations(q) -> list[dict]:
    """The numbers of one ``dcc:quantity``, one entry per representation (``si:hybrid``
    holds the same values in several units: each is one), as lists of equal meaning:
    values, units, expanded uncertainties, coverage factors. Text-only quantities
    (``dcc:noQuantity``, ``dcc:text``) give their text as the single value."""
    out: list[dict] = []
    nodes = []
    for child in _children(q):
        if child.tag == f"{{{SI_NS}}}hybrid":
            nodes.extend(_children(child))
        else:
            nodes.append(child)
    for node in nodes:
        if node.tag == f"{{{SI_NS}}}real":
            r = _real(node)
            out.append(
                {
                    "values": [r["value"]],
                    "units": [r["unit"]],
                    "expanded_uncertainty": [r["expanded_uncertainty"]] if "expanded_uncertainty" in r else [],
                    "coverage_factor": [r["coverage_factor"]] if r.get("coverage_factor") is not None else [],
                }
            )
        elif node.tag == f"{{{SI_NS}}}realListXMLList":
            r = _real_list(node)
            out.append({k: r.get(k, []) for k in ("values", "units", "expanded_uncertainty", "coverage_factor")})
        elif node.tag == f"{{{SI_NS}}}list":  # D-SI list of si:real (one value each)
            reals = [_real(r) for r in node.iterfind("si:real", _NS)]
            if reals:
                out.append(
                    {
                        "values": [r["value"] for r in reals],
                        "units": [r["unit"] for r in reals],
                        "expanded_uncertainty": [r.get("expanded_uncertainty") for r in reals],
                        "coverage_factor": [r.get("coverage_factor") for r in reals],
                    }
                )
        elif node.tag in (f"{{{DCC_NS}}}noQuantity", f"{{{DCC_NS}}}text"):
            text = element_to_data(node)
            out.append({"values": [text], "units": [], "expanded_uncertainty": [], "coverage_factor": [], "text": True})
    return out


def _spread(values: list, n: int) -> list:
    """A list of ``n`` entries: one given entry stands for every row (D-SI lists share a
    single unit or uncertainty that way), a shorter list is padded with None."""
    if len(values) == 1:
        return values * n
    return list(values[:n]) + [None] * max(0, n - len(values))


def _columns(quantities_, fallback_name) -> list[dict]:
    columns = []
    for q in quantities_:
        name = q.find("dcc:name", _NS)
        for alt, rep in enumerate(_representations(q)):
            columns.append(
                {
                    # A quantity without a name takes its list's (DCC 3.0 examples name the list).
                    "name": element_to_data(name) if name is not None else fallback_name,
                    "ref_type": q.get("refType"),
                    "index": _is_index(q.get("refType")),
                    "alternative": alt,  # 0: the first representation; 1, 2…: the same quantity in another unit
                    "text": rep.get("text", False),
                    **{k: rep[k] for k in ("values", "units", "expanded_uncertainty", "coverage_factor")},
                }
            )
    return columns


def _table(result_name, columns: list[dict]) -> dict:
    n = max((len(c["values"]) for c in columns), default=0)
    for c in columns:
        c["values"] = _spread(c["values"], n)
        c["units"] = _spread(c["units"], n) if c["units"] else [None] * n
        c["unit"] = c["units"][0] if len(set(c["units"])) == 1 else None
        for key in ("expanded_uncertainty", "coverage_factor"):
            c[key] = _spread(c[key], n) if any(v is not None for v in c[key]) else None
    # Index quantities (reference values, indications) first, each kept in document order.
    columns = [c for c in columns if c["index"]] + [c for c in columns if not c["index"]]
    return {"result": result_name, "rows": n, "columns": columns}


def result_tables(document) -> list[dict]:
    """The results held in lists, as tables: one per ``dcc:list`` of quantities, its rows the
    list positions (``si:realListXMLList``, ``si:hybrid`` of them, ``si:list``; a list of
    single values, as DCC 2.x and 3.0 write a row of a table, is a table of one row). Each
    column is one quantity (a hybrid one gives a column per unit); the index quantities
    (reference values, indications, see ``INDEX_REF_TYPES``) come first. Quantities outside
    any list are left to :func:`quantities`."""
    root = parse_xml(document).getroot()
    tables: list[dict] = []
    for result in root.iterfind(".//dcc:measurementResults//dcc:result", _NS):
        name_el = result.find("dcc:name", _NS)
        result_name = element_to_data(name_el) if name_el is not None else {}
        for lst in result.iterfind(".//dcc:list", _NS):
            quantities_ = lst.findall("dcc:quantity", _NS)
            list_name = lst.find("dcc:name", _NS)
            columns = _columns(quantities_, element_to_data(list_name) if list_name is not None else {})
            if columns:
                tables.append(_table(result_name, columns))
    return tables
