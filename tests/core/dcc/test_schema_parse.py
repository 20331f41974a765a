"""PTB's published example DCCs (tests/core/dcc/data, see LICENSE-NOTES.md) against the XSD
of the DCC version each declares, parsed into plain data, and their list results as tables."""

import copy
import hashlib
import json

import pytest

from jiliang import messages
from jiliang.core.dcc.errors import DccError, SchemaError
from jiliang.core.dcc.parse import parse_dcc, quantities, result_tables
from jiliang.core.dcc.render import render_html
from jiliang.core.dcc.schema import SCHEMA_DIR, SUPPORTED_VERSIONS, dcc_schema, parse_xml, validate_schema

from .conftest import DATA

V330 = DATA / "dcc-3.3.0_gp-temperature-simplified.xml"
V311 = DATA / "dcc-3.1.1_gp-temperature-simplified-v12.xml"
V320 = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"


def test_330_example_is_valid():
    report = validate_schema(V330.read_bytes())
    assert report.valid, report.errors


V300 = DATA / "dcc-3.0.0_mass-example.xml"
V312 = DATA / "dcc-3.1.2_gp-humidity-v1.0.xml"


@pytest.mark.parametrize(
    "path, version, dsi", [(V300, "3.0.0", "2.0.0"), (V311, "3.1.1", "2.1.0"), (V312, "3.1.2", "2.1.0"), (V320, "3.2.0", "2.1.0")]
)
def test_each_example_validates_against_the_version_it_declares(path, version, dsi):
    # These were "NOT valid" against the 3.3.0 XSD, which pins schemaVersion to 3\.3\.0.
    report = validate_schema(path.read_bytes())
    assert report.valid, report.errors
    assert (report.version, report.dsi_version) == (version, dsi)


def test_a_document_is_held_to_its_own_version():
    # The signed 3.2.0 example declaring 3.1.1 is checked against 3.1.1, which has no ds:Signature.
    root = copy.deepcopy(parse_xml(V320.read_bytes()).getroot())
    root.set("schemaVersion", "3.1.1")
    report = validate_schema(root)
    assert not report.valid and report.version == "3.1.1" and "Signature" in report.errors[0]


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_every_shipped_schema_compiles_offline(version):
    # The parser has no network: every import resolves to a copy in the package.
    assert dcc_schema(version) is not None


def test_every_shipped_schema_file_is_listed_with_its_hash():
    notes = (SCHEMA_DIR / "LICENSE-NOTES.md").read_text(encoding="utf-8")
    for path in SCHEMA_DIR.rglob("*.xsd"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest in notes or f"{digest[:8]}…{digest[-5:]}" in notes, path


@pytest.mark.parametrize("version", ["2.4.0", "3.0.0-rc.2", "4.0.0"])
def test_an_unsupported_version_is_refused_by_name(version):
    root = copy.deepcopy(parse_xml(V330.read_bytes()).getroot())
    root.set("schemaVersion", version)
    with pytest.raises(SchemaError) as caught:
        validate_schema(root)
    error = caught.value
    assert error.code == "dcc_version_unsupported" and error.params["version"] == version
    assert f"DCC schema version {version} is not supported; supported: {', '.join(SUPPORTED_VERSIONS)}" in str(error)
    assert messages.reason(error, "zh-hans").startswith(f"不支持 DCC 模式版本 {version}；支持的版本：3.0.0")
    assert messages.reason(error, "en").startswith(f"DCC schema version {version} is not supported")


def test_a_pre_release_namespace_is_refused_naming_its_version():
    # DCC 2.1.0 and earlier used a namespace on PTB's intranet (PTB's xsd-dcc history).
    old = (
        b'<dcc:digitalCalibrationCertificate schemaVersion="2.1.0" xmlns:dcc="https://intranet.ptb.de/fileadmin/'
        b'dokumente/intranet/abteilungen/abteilung_1/Digitaler_Kalibrierschein/DCC"/>'
    )
    with pytest.raises(DccError, match="DCC schema version 2.1.0 .* cannot be read") as caught:
        parse_dcc(old)
    assert caught.value.code == "dcc_version_unreadable"


def test_a_broken_document_is_reported_with_its_path():
    root = copy.deepcopy(parse_xml(V330.read_bytes()).getroot())
    core = root.find(".//{https://ptb.de/dcc}coreData")
    core.remove(core.find("{https://ptb.de/dcc}uniqueIdentifier"))
    report = validate_schema(root)
    assert not report.valid and any("coreData" in e for e in report.errors)


def test_not_xml_is_a_clear_error():
    from jiliang.core.dcc.errors import SchemaError

    with pytest.raises(SchemaError, match="not well-formed"):
        validate_schema(b"<dcc:digitalCalibrationCertificate")


def test_entities_are_not_expanded():
    evil = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'
    with pytest.raises(SchemaError, match="DOCTYPE"):  # refused outright: a DCC has no DTD
        parse_xml(evil)


@pytest.mark.parametrize("path", [V311, V320, V330])
def test_examples_parse_to_json(path):
    data = parse_dcc(path.read_bytes())
    json.dumps(data, ensure_ascii=False)
    assert data["unit_problems"] == []
    assert set(data["languages"]) == {"de", "en"}
    # Values as published in PTB's Good Practice temperature example (measurement error,
    # five points, U = 0.061 K with k = 2): the same in all three versions.
    error = next(q for q in quantities(path.read_bytes()) if q["name"].get("en", "").lower().startswith("measurement error"))
    assert error["values"] == [0.072, 0.089, 0.107, -0.009, -0.084]
    assert error["units"] == ["\\kelvin"]
    assert error["expanded_uncertainty"] == [0.061]
    assert error["coverage_factor"] == [2.0]
    assert error["coverage_probability"] == [0.95]


def test_parse_reads_identifiers_and_the_signature_summary():
    assert parse_dcc(V330.read_bytes())["unique_identifier"] == "1234"
    signed = parse_dcc(V320.read_bytes())
    assert signed["unique_identifier"] == "GP_DCC_temperature_typical_1.2"
    (sig,) = signed["signatures"]
    assert sig["signing_time"] == "2023-03-27T15:14:30Z"
    assert sig["signer"] == "CN=Calibration Lab A1,O=Calibration A GmbH,C=DE"
    admin = signed["administrative_data"]
    assert admin["calibrationLaboratory"]["contact"]["name"] == {"": "Kalibrierfirma GmbH"}
    assert len(admin["respPersons"]["respPerson"]) == 2


def test_bad_units_in_a_document_are_reported():
    text = V330.read_bytes().replace(b"<si:unit>\\kelvin</si:unit>", b"<si:unit>\\kelvn</si:unit>", 1)
    problems = parse_dcc(text)["unit_problems"]
    assert len(problems) == 1 and "\\kelvn" in problems[0]


def test_hybrid_list_results_are_tables_with_the_index_columns_first():
    # PTB's humidity example (3.1.2): reference and displayed values, each as a fraction and in
    # percent (si:hybrid), beside the measurement error: seven calibration points.
    (table,) = [t for t in result_tables(V312.read_bytes()) if t["rows"] > 1]
    columns = [(c["ref_type"], c["unit"], c["index"]) for c in table["columns"]]
    assert columns == [
        ("basic_referenceValue", "\\one", True),
        ("basic_referenceValue", "\\percent", True),
        ("basic_measuredValue", "\\one", True),
        ("basic_measuredValue", "\\percent", True),
        ("basic_measurementError", "\\one", False),
        ("basic_measurementError", "\\percent", False),
    ]
    assert table["rows"] == 7 and all(len(c["values"]) == 7 for c in table["columns"])
    reference, _, shown, _, error, _ = table["columns"]
    assert (reference["values"][0], shown["values"][0], error["values"][0]) == (0.201, 0.197, -0.004)


def test_render_survives_the_shapes_of_other_versions():
    # DCC 2.x allows several laboratory contacts; an empty statement parses to text, not a mapping
    # (this was "AttributeError: 'str' object has no attribute 'get'").
    root = copy.deepcopy(parse_xml(V330.read_bytes()).getroot())
    ns = "{https://ptb.de/dcc}"
    lab = root.find(f".//{ns}calibrationLaboratory")
    lab.append(copy.deepcopy(lab.find(f"{ns}contact")))
    statements = root.find(f".//{ns}statements")
    if statements is None:
        statements = root.find(f".//{ns}administrativeData").makeelement(f"{ns}statements")
        root.find(f".//{ns}administrativeData").append(statements)
    statements.append(statements.makeelement(f"{ns}statement"))
    root.find(f".//{ns}respPerson").append(root.makeelement(f"{ns}role"))
    html = render_html(root, lang="en")
    assert "Measurement results" in html and "1234" in html
