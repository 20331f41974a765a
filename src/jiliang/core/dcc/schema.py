"""Offline XSD validation of a DCC against the schema of the version it declares.

Every document names its version (``dcc:digitalCalibrationCertificate/@schemaVersion``) and
each DCC version pins that attribute to itself, so a 3.1.1 document is checked against the
DCC 3.1.1 XSD (and the D-SI 2.1.0 it imports), never against 3.3.0. The copies in
``schemas/`` keep their official ``schemaLocation`` URLs (LGPL files we do not edit; see
``schemas/LICENSE-NOTES.md`` for where each comes from and its SHA-256); a resolver maps
those URLs to the local copies, as ``schemas/catalog.xml`` does for libxml2, and the parser
never touches the network. A version with no copy here is refused by name, with the list of
those supported. Each compiled schema is built once per process and reused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from jiliang.core.dcc.errors import SchemaError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DCC_NS = "https://ptb.de/dcc"
# The version this platform writes (build.py); older ones are read and validated.
DCC_VERSION = "3.3.0"
DCC_XSD_URL = f"https://ptb.de/dcc/v{DCC_VERSION}/dcc.xsd"


@dataclass(frozen=True)
class SchemaVersion:
    dcc: str
    dsi: str  # the D-SI version its XSD imports

    @property
    def url(self) -> str:
        return f"https://ptb.de/dcc/v{self.dcc}/dcc.xsd"


# DCC versions with an XSD copy in schemas/ (provenance and hashes: schemas/LICENSE-NOTES.md).
# DCC 2.x (D-SI 1.x) is not among them: it is parsed as far as it can be read, not validated.
SCHEMA_VERSIONS: dict[str, SchemaVersion] = {
    v.dcc: v
    for v in (
        SchemaVersion("3.0.0", "2.0.0"),
        SchemaVersion("3.1.0", "2.1.0"),
        SchemaVersion("3.1.1", "2.1.0"),
        SchemaVersion("3.1.2", "2.1.0"),
        SchemaVersion("3.2.0", "2.1.0"),
        SchemaVersion("3.2.1", "2.1.0"),
        SchemaVersion("3.3.0", "2.2.1"),
    )
}
SUPPORTED_VERSIONS: tuple[str, ...] = tuple(SCHEMA_VERSIONS)
_URL_PREFIXES = ("https://ptb.de/", "https://www.ptb.de/", "http://ptb.de/", "http://www.ptb.de/")
# The DCC 3.2.x copies come from lutaml/dcc, which rewrote their two imports to paths relative
# to its own tree ("../dsi/v2.1.0.xsd", "../xmldsig-core-schema.xsd"); seen from our tree they
# land here and stand for the official files below (LICENSE-NOTES.md).
_RELATIVE_IMPORTS = {
    "ptb.de/dcc/dsi/v2.1.0.xsd": "ptb.de/si/v2.1.0/SI_Format.xsd",
    "ptb.de/dcc/xmldsig-core-schema.xsd": "ptb.de/dcc/d-sig/xmldsig-core-schema.xsd",
}


def local_schema_path(url: str) -> Path | None:
    """The local copy standing for an official PTB schema URL, or None."""
    for prefix in _URL_PREFIXES:
        if url.startswith(prefix):
            path = SCHEMA_DIR / "ptb.de" / url[len(prefix) :]
            return path if path.is_file() else None
    return None


def _relative_import(url: str) -> Path | None:
    path = url.removeprefix("file://")
    root = str(SCHEMA_DIR) + "/"
    if path.startswith(root) and path[len(root) :] in _RELATIVE_IMPORTS:
        return SCHEMA_DIR / _RELATIVE_IMPORTS[path[len(root) :]]
    return None


class _LocalSchemaResolver(etree.Resolver):
    def resolve(self, url, pubid, context):
        path = local_schema_path(url) or _relative_import(url)
        if path is not None:
            return self.resolve_filename(str(path), context)
        return None  # anything else falls through to the no-network parser and fails


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted certificates: no network, no entity expansion, no DTD loading."""
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False)


_lock = threading.Lock()


def schema_version(version: str | None) -> SchemaVersion:
    """The schema a document declaring ``version`` is validated against; an unsupported one
    is refused by name, with the versions supported."""
    found = SCHEMA_VERSIONS.get((version or "").strip())
    if found is None:
        supported = ", ".join(SUPPORTED_VERSIONS)
        raise SchemaError(
            f"DCC schema version {version or '(none)'} is not supported; supported: {supported}",
            field="document",
            code="dcc_version_unsupported",
            version=version or "",
            supported=supported,
        )
    return found


@cache
def dcc_schema(version: str = DCC_VERSION) -> etree.XMLSchema:
    """The compiled DCC schema of ``version`` (built once per process and version)."""
    target = schema_version(version)
    with _lock:
        parser = safe_parser()
        parser.resolvers.add(_LocalSchemaResolver())
        path = local_schema_path(target.url)
        if path is None:
            raise SchemaError(
                f"schema copy for {target.url} is missing from {SCHEMA_DIR}", code="xml_schema_missing", url=target.url
            )
        return etree.XMLSchema(etree.parse(str(path), parser))


@dataclass(frozen=True)
class SchemaReport:
    valid: bool
    errors: tuple[str, ...]
    version: str = DCC_VERSION  # the DCC version whose XSD was used
    dsi_version: str = SCHEMA_VERSIONS[DCC_VERSION].dsi


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
        raise SchemaError(f"not well-formed XML ({exc})", field="document", code="xml_not_well_formed", detail=str(exc)) from None
    _refuse_doctype(tree)
    return tree


def _refuse_doctype(tree: etree._ElementTree) -> None:
    """A DCC has no document type declaration (the DCC schemas define the document;
    PTB's examples carry none). A DOCTYPE can only declare entities, the vehicle of XXE and
    of "billion laughs": the parser above never expands or fetches them, but a tree holding
    unexpanded entity references is not a certificate either (schema validation of such a
    tree fails inside libxml2 without a reason), so it is refused here, by name."""
    info = tree.docinfo
    if info.doctype or info.internalDTD is not None or info.externalDTD is not None:
        raise SchemaError("a DOCTYPE declaration (DTD or entities) is not allowed in a DCC", field="document", code="xml_doctype")


def declared_version(data) -> str | None:
    """The DCC version a document declares (its root's ``schemaVersion``), or None."""
    return parse_xml(data).getroot().get("schemaVersion")


def validate_schema(data) -> SchemaReport:
    """Validate against the XSD of the DCC version the document declares (errors carry line
    and path). A document that is no DCC, or declares no version, is checked against the
    current one, whose errors say what is missing; an unsupported version raises
    :class:`SchemaError` (code ``dcc_version_unsupported``)."""
    tree = parse_xml(data)
    root = tree.getroot()
    declared = root.get("schemaVersion")
    is_dcc = root.tag == f"{{{DCC_NS}}}digitalCalibrationCertificate"
    target = schema_version(declared) if is_dcc and declared is not None else SCHEMA_VERSIONS[DCC_VERSION]
    schema = dcc_schema(target.dcc)
    try:
        ok = schema.validate(tree)
    except etree.XMLSchemaValidateError as exc:  # libxml2 gave up without a line to point at
        raise SchemaError(
            f"document: the schema validator could not read this document ({exc})", code="xml_schema_internal", detail=str(exc)
        ) from None
    errors = tuple(f"line {e.line}: {e.path}: {e.message}" for e in schema.error_log) if not ok else ()
    return SchemaReport(ok, errors, target.dcc, target.dsi)


def assert_schema_valid(data) -> None:
    report = validate_schema(data)
    if not report.valid:
        raise SchemaError(
            f"document is not valid DCC {report.version}: " + "; ".join(report.errors[:5]),
            code="dcc_schema_invalid",
            version=report.version,
            errors="; ".join(report.errors[:5]),
        )
