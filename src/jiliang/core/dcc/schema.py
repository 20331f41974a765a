"""Offline XSD validation against DCC 3.3.0 + D-SI 2.2.1 (the copies in ``schemas/``).

The schema files keep their official ``schemaLocation`` URLs (they are LGPL files we do
not edit); a resolver maps those URLs to the local copies, as ``schemas/catalog.xml`` does
for libxml2, and the parser never touches the network. The compiled schema is built once
and reused: compiling costs milliseconds, validating a certificate a fraction of one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from jiliang.core.dcc.errors import SchemaError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DCC_XSD_URL = "https://ptb.de/dcc/v3.3.0/dcc.xsd"
DCC_VERSION = "3.3.0"
_URL_PREFIXES = ("https://ptb.de/", "https://www.ptb.de/", "http://ptb.de/", "http://www.ptb.de/")


def local_schema_path(url: str) -> Path | None:
    """The local copy standing for an official PTB schema URL, or None."""
    for prefix in _URL_PREFIXES:
        if url.startswith(prefix):
            path = SCHEMA_DIR / "ptb.de" / url[len(prefix) :]
            return path if path.is_file() else None
    return None


class _LocalSchemaResolver(etree.Resolver):
    def resolve(self, url, pubid, context):
        path = local_schema_path(url)
        if path is not None:
            return self.resolve_filename(str(path), context)
        return None  # anything else falls through to the no-network parser and fails


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted certificates: no network, no entity expansion, no DTD loading."""
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False)


_lock = threading.Lock()


@lru_cache(maxsize=1)
def dcc_schema() -> etree.XMLSchema:
    """The compiled DCC 3.3.0 schema (built once per process)."""
    with _lock:
        parser = safe_parser()
        parser.resolvers.add(_LocalSchemaResolver())
        path = local_schema_path(DCC_XSD_URL)
        if path is None:
            raise SchemaError(f"schema copy for {DCC_XSD_URL} is missing from {SCHEMA_DIR}")
        return etree.XMLSchema(etree.parse(str(path), parser))


@dataclass(frozen=True)
class SchemaReport:
    valid: bool
    errors: tuple[str, ...]


def parse_xml(data: bytes | str | etree._Element | etree._ElementTree) -> etree._ElementTree:
    """An element tree from bytes / text / an element, parsed safely."""
    if isinstance(data, etree._ElementTree):
        return data
    if isinstance(data, etree._Element):
        return data.getroottree()
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        tree = etree.ElementTree(etree.fromstring(data, safe_parser()))
    except etree.XMLSyntaxError as exc:
        raise SchemaError(f"document: not well-formed XML ({exc})", code="xml_not_well_formed", detail=str(exc)) from None
    _refuse_doctype(tree)
    return tree


def _refuse_doctype(tree: etree._ElementTree) -> None:
    """A DCC has no document type declaration (the DCC 3.3.0 schema defines the document;
    PTB's examples carry none). A DOCTYPE can only declare entities, the vehicle of XXE and
    of "billion laughs": the parser above never expands or fetches them, but a tree holding
    unexpanded entity references is not a certificate either (schema validation of such a
    tree fails inside libxml2 without a reason), so it is refused here, by name."""
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise SchemaError("document: a DOCTYPE declaration (DTD or entities) is not allowed in a DCC", code="xml_doctype")


def validate_schema(data) -> SchemaReport:
    """Validate against DCC 3.3.0 / D-SI 2.2.1; errors carry line and path."""
    tree = parse_xml(data)
    schema = dcc_schema()
    try:
        ok = schema.validate(tree)
    except etree.XMLSchemaValidateError as exc:  # libxml2 gave up without a line to point at
        raise SchemaError(
            f"document: the schema validator could not read this document ({exc})", code="xml_schema_internal", detail=str(exc)
        ) from None
    errors = tuple(f"line {e.line}: {e.path}: {e.message}" for e in schema.error_log) if not ok else ()
    return SchemaReport(ok, errors)


def assert_schema_valid(data) -> None:
    report = validate_schema(data)
    if not report.valid:
        raise SchemaError("document is not valid DCC 3.3.0: " + "; ".join(report.errors[:5]))
