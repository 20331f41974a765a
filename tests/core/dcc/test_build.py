"""Building DCC 3.3.0 documents from certificate records."""

import dataclasses
import json

import pytest
from lxml import etree

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import DccError
from jiliang.core.dcc.model import Quantity, record_from_dict
from jiliang.core.dcc.parse import parse_dcc, quantities
from jiliang.core.dcc.sample import sample_record
from jiliang.core.dcc.schema import validate_schema

DCC = "{https://ptb.de/dcc}"


def _with_quantity(record, **changes):
    mr = record.measurement_results[0]
    result = mr.results[0]
    q = dataclasses.replace(result.quantities[1], **changes)
    result = dataclasses.replace(result, quantities=[result.quantities[0], q])
    mr = dataclasses.replace(mr, results=[result, *mr.results[1:]])
    return dataclasses.replace(record, measurement_results=[mr])


@pytest.mark.parametrize("n", [1, 20])
def test_built_document_validates(n):
    report = validate_schema(build_dcc(sample_record(n)))
    assert report.valid, report.errors


def test_chinese_and_english_text_carry_lang_attributes():
    root = etree.fromstring(build_dcc(sample_record(1)))
    name = root.find(f".//{DCC}calibrationLaboratory/{DCC}contact/{DCC}name")
    assert [(c.get("lang"), c.text) for c in name] == [("zh", "浙江省计量科学研究院"), ("en", "Zhejiang Institute of Metrology")]
    assert [e.text for e in root.iter(f"{DCC}usedLangCodeISO639_1")] == ["zh", "en"]


def test_values_round_trip_through_parse():
    record = sample_record(20)
    rows = quantities(build_dcc(record))
    expected = [q for r in record.measurement_results[0].results for q in r.quantities]
    assert len(rows) == len(expected) == 40
    for row, q in zip(rows, expected):
        assert row["value"] == q.value and row["unit"] == q.unit
        assert row.get("expanded_uncertainty") == q.expanded_uncertainty
        if q.expanded_uncertainty is not None:
            assert row["coverage_factor"] == q.coverage_factor
            assert row["coverage_probability"] == q.coverage_probability


def test_measuring_equipment_refers_to_the_upstream_certificate_by_id_and_hash():
    digest = "ab" * 32
    data = parse_dcc(build_dcc(sample_record(1, upstream_sha256=digest)))
    eq = data["measurement_results"]["measurementResult"][0]["measuringEquipments"]["measuringEquipment"][0]
    assert eq["certificate"]["referralID"] == "NIM-2026-P-0077"
    assert eq["certificate"]["procedure"] == "SHA-256"
    assert eq["certificate"]["value"] == digest


def test_conformity_and_decision_rule_statements():
    data = parse_dcc(build_dcc(sample_record(1)))
    statements = data["administrative_data"]["statements"]["statement"]
    assert statements[0]["@refType"] == "basic_conformity" and statements[0]["conformity"] == "pass"
    assert statements[1]["norm"] == "JJF 1059.1-2012"


def test_bad_unit_names_field_and_token():
    record = _with_quantity(sample_record(2), unit="\\mega\\pascl")
    with pytest.raises(DccError) as err:
        build_dcc(record)
    assert "measurement_results[0].results[0].quantities[1].unit" in str(err.value)
    assert "\\pascl" in str(err.value)


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"expanded_uncertainty": -1.0}, "expanded_uncertainty"),
        ({"coverage_factor": None}, "coverage_factor"),
        ({"coverage_probability": 1.5}, "coverage_probability"),
        ({"value": float("nan")}, "value"),
    ],
)
def test_bad_quantities_are_rejected(changes, field):
    with pytest.raises(DccError, match=field):
        build_dcc(_with_quantity(sample_record(1), **changes))


def test_missing_mandatory_language_label():
    record = _with_quantity(sample_record(1), name={"en": "Indication error"})
    with pytest.raises(DccError, match=r"quantities\[1\]\.name: missing text in mandatory language\(s\) zh"):
        build_dcc(record)


def test_unknown_language_code():
    with pytest.raises(DccError, match="'xx' is not an ISO 639-1"):
        build_dcc(dataclasses.replace(sample_record(1), languages=["zh", "xx"]))
    with pytest.raises(DccError, match="language 'de' is not among the used languages"):
        build_dcc(_with_quantity(sample_record(1), name={"zh": "误差", "en": "Error", "de": "Fehler"}))


def test_bad_conformity_and_hash():
    record = sample_record(1)
    bad = dataclasses.replace(record, statements=[dataclasses.replace(record.statements[0], conformity="ok")])
    with pytest.raises(DccError, match=r"statements\[0\]\.conformity"):
        build_dcc(bad)
    with pytest.raises(DccError, match="certificate.sha256"):
        build_dcc(sample_record(1, upstream_sha256="abc"))


def test_record_from_json_dict():
    record = sample_record(2)
    data = json.loads(json.dumps(dataclasses.asdict(record), default=str))
    again = record_from_dict(data)
    assert again == record
    assert build_dcc(again) == build_dcc(record)
    data["begin_performance_date"] = "23.11.2026"
    with pytest.raises(DccError, match="record.begin_performance_date: '23.11.2026' is not an ISO date"):
        record_from_dict(data)
    data = json.loads(json.dumps(dataclasses.asdict(record), default=str))
    del data["measurement_results"][0]["results"][0]["quantities"][0]["unit"]
    with pytest.raises(DccError, match=r"record.measurement_results\[0\].results\[0\].quantities\[0\].unit: required"):
        record_from_dict(data)


def test_record_quantity_defaults():
    q = Quantity(name={"zh": "a", "en": "a"}, value=1.0, unit="\\one")
    assert q.expanded_uncertainty is None and q.distribution == "normal"
