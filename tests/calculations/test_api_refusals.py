"""The calculators' API refuses what the CLI refuses (issue 16, item 11), and its 400 carries
the error as data: field, code, parameters and the message in the caller's language."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def post(path, body, language="zh-hans"):
    return APIClient().post(path, body, format="json", HTTP_ACCEPT_LANGUAGE=language)


def test_json_booleans_are_not_prepack_measurements():
    body = {"nominal": 500, "unit": "g", "batch_size": 10, "values": [True] * 10}
    response = post("/api/prepack/judge/", body)
    assert response.status_code == 400, response.content
    data = response.json()
    assert (data["field"], data["code"], data["params"]) == ("values[0]", "prepack_not_number", {"got": "True"})
    assert data["message"] == "values[0]：须为数字（输入值 True）"


def test_a_single_laboratory_is_not_a_comparison():
    response = post("/api/comparison/compute/", {"results": [{"lab": "A", "value": 10.0, "u": 0.1}]}, language="en")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "comparison_too_few" and data["params"] == {"count": 1, "minimum": 2, "lab": None}
    assert data["message"] == "lab: a comparison needs at least 2 laboratories, got 1"


def test_a_subnormal_uncertainty_is_refused_naming_the_laboratory():
    rows = [{"lab": "A", "value": 10.0, "u": 0.1}, {"lab": "B", "value": 10.1, "u": 1e-320}]
    response = post("/api/comparison/compute/", {"results": rows})
    assert response.status_code == 400
    data = response.json()
    assert data["field"] == "u" and data["code"] == "comparison_u_range" and data["params"]["lab"] == "B"
    assert data["message"].startswith("实验室 B，u：标准不确定度 1e-320 超出")


def test_the_uncertainty_refusal_is_translated_by_code_for_an_english_caller():
    doc = {"outputs": {"Y": "V * 10**10**10"}, "inputs": {"V": {"value": 5.0, "distribution": "normal", "u": 0.1}}}
    response = post("/api/uncertainty/evaluate/", doc, language="en")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "evaluation_overflow"
    assert data["message"] == "outputs.Y: cannot be evaluated at the inputs' values: the result is beyond the range of a double"
