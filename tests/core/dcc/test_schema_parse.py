"""PTB's published example DCCs (tests/core/dcc/data, see LICENSE-NOTES.md) against the
DCC 3.3.0 / D-SI 2.2.1 XSD, and parsed into plain data."""

import copy
import json

import pytest

from jiliang.core.dcc.errors import SchemaError
from jiliang.core.dcc.parse import parse_dcc, quantities
from jiliang.core.dcc.schema import parse_xml, validate_schema

from .conftest import DATA

V330 = DATA / "dcc-3.3.0_gp-temperature-simplified.xml"
V311 = DATA / "dcc-3.1.1_gp-temperature-simplified-v12.xml"
V320 = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"


def test_330_example_is_valid():
    report = validate_schema(V330.read_bytes())
    assert report.valid, report.errors


@pytest.mark.parametrize("path, version", [(V311, "3.1.1"), (V320, "3.2.0")])
def test_older_examples_fail_only_on_the_schema_version(path, version):
    # The 3.3.0 XSD pins schemaVersion to the pattern 3\.3\.0; nothing else in these
    # 3.1.1 / 3.2.0 documents is rejected, as aligning the attribute shows.
    report = validate_schema(path.read_bytes())
    assert not report.valid
    assert len(report.errors) == 1 and "schemaVersion" in report.errors[0] and version in report.errors[0]
    root = copy.deepcopy(parse_xml(path.read_bytes()).getroot())
    root.set("schemaVersion", "3.3.0")
    assert validate_schema(root).valid


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
