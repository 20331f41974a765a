"""Digital calibration certificates (PTB DCC: built as 3.3.0 with D-SI 2.2.1; validated against
the XSD of the version a document declares, 3.0.0 to 3.3.0; read from 2.2.0 on): build, parse, validate,
sign (XAdES-BES), verify, render. Pure: bytes and dataclasses in, bytes and verdicts out."""

from jiliang.core.dcc.build import build_dcc, build_element
from jiliang.core.dcc.crypto import SignatureSuite, register_suite
from jiliang.core.dcc.dsi import canonical_unit, from_pint, parse_unit, same_unit, to_pint
from jiliang.core.dcc.errors import DccError, SchemaError, SigningError, UnitError
from jiliang.core.dcc.model import CertificateRecord, record_from_dict
from jiliang.core.dcc.parse import check_upstream, document_sha256, parse_dcc, quantities, result_tables, upstream_certificates
from jiliang.core.dcc.render import render_html
from jiliang.core.dcc.schema import SUPPORTED_VERSIONS, validate_schema
from jiliang.core.dcc.sign import Signer, sign_dcc
from jiliang.core.dcc.verify import Verdict, verify_dcc

__all__ = [
    "CertificateRecord",
    "DccError",
    "check_upstream",
    "document_sha256",
    "upstream_certificates",
    "SchemaError",
    "SignatureSuite",
    "Signer",
    "SigningError",
    "UnitError",
    "Verdict",
    "build_dcc",
    "build_element",
    "canonical_unit",
    "from_pint",
    "parse_dcc",
    "parse_unit",
    "quantities",
    "result_tables",
    "SUPPORTED_VERSIONS",
    "record_from_dict",
    "register_suite",
    "render_html",
    "same_unit",
    "sign_dcc",
    "to_pint",
    "validate_schema",
    "verify_dcc",
]
