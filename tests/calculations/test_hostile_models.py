"""Hostile measurement models (issue 16, item 5): each is refused with 400 and a reason that
names the field, through the API and the page, for an anonymous caller; none costs more than
a bounded amount of work."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache
from django.test import Client
from lxml import html
from rest_framework.test import APIClient

from jiliang.core.uncertainty import ModelError, evaluate_document

pytestmark = pytest.mark.django_db

HOSTILE = {
    "tower of powers": "10**10**10",
    "tower of powers on V": "V * 10**10**10",
    "huge exponent": "V**(10**100)",
    "nested exponentials": "exp(exp(exp(V)))",
    "300 nested calls": "sin(" * 300 + "V" + ")" * 300,
    "200 nested parentheses": "(" * 200 + "V" + ")" * 200,
    "5000-term sum": "+".join(["V"] * 5000),
    "3000-factor product": "*".join(["V"] * 3000),
    "5000-digit literal": "V*" + "9" * 5000,
}


def document(expression: str, value: float = 5.0) -> dict:
    return {"outputs": {"Y": expression}, "inputs": {"V": {"value": value, "distribution": "normal", "u": 0.1}}}


@pytest.fixture(autouse=True)
def fresh_throttles():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("method", ["gum", "mc"])
@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_api_refuses_a_hostile_model_with_400_naming_the_output(name, method):
    started = time.perf_counter()
    response = APIClient().post(
        "/api/uncertainty/evaluate/", {**document(HOSTILE[name]), "method": method, "trials": 20000}, format="json"
    )
    assert time.perf_counter() - started < 15  # refused at parsing; generous for a loaded CI machine
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["field"] == "outputs.Y" and body["detail"].startswith("outputs.Y: ")


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_page_refuses_a_hostile_model_with_400_and_a_chinese_reason(name):
    response = Client().post(
        "/uncertainty/", {"source": "document", "document": json.dumps(document(HOSTILE[name])), "method": "gum"}
    )
    assert response.status_code == 400, response.content[:300]
    errors = html.fromstring(response.content).xpath("//ul[@id='error-document']/li")
    assert errors and errors[0].text_content().startswith("outputs.Y：")


def test_a_model_with_no_real_value_at_its_inputs_is_refused_by_name():
    """(V - 10)**0.5 at V = 5 is a complex number in Python's arithmetic: not a measurement result."""
    response = APIClient().post("/api/uncertainty/evaluate/", document("(V - 10)**0.5"), format="json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("outputs.Y: ") and "real number" in response.json()["detail"]


def test_a_sensible_model_is_still_evaluated():
    response = APIClient().post("/api/uncertainty/evaluate/", document("exp(V/10) + (((V)))**2"), format="json")
    assert response.status_code == 200, response.content


def test_a_monte_carlo_run_past_the_services_wall_time_is_refused(monkeypatch):
    from jiliang.calculations.api import views

    monkeypatch.setattr(views, "MAX_SECONDS", 0.0)  # every run is already late: the first chunk stops it
    body = {**document("V**2"), "method": "mc", "trials": 1_000_000}
    response = APIClient().post("/api/uncertainty/evaluate/", body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["field"] == "trials" and response.json()["code"] == "time_limit"
    assert response.json()["message"] == "trials：蒙特卡洛计算超出本服务允许的时间，请减少试验次数"


def test_derived_quantities_that_double_at_every_step_are_refused_before_they_are_walked():
    """a2 = a1*a1, a3 = a2*a2, …: written out, a40 has 2^40 terms; walks without memo would never end."""
    derived = {"a1": "V*V", **{f"a{i}": f"a{i - 1}*a{i - 1}" for i in range(2, 41)}}
    body = {**document("a40"), "derived": derived}
    started = time.perf_counter()
    with pytest.raises(ModelError) as refused:
        evaluate_document(body)
    assert time.perf_counter() - started < 2 and refused.value.code == "model_too_big"
    response = APIClient().post("/api/uncertainty/evaluate/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "model_too_big"
