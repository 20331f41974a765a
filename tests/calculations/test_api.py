"""The calculators over HTTP keep the CLI's JSON contracts and name the field on bad input."""

import pytest
from rest_framework.test import APIClient

from jiliang.core.comparison import compute_document
from jiliang.core.uncertainty import evaluate_document

pytestmark = pytest.mark.django_db

MODEL = {
    "outputs": {"P": "V**2 / R"},
    "inputs": {
        "V": {"value": 5.0, "distribution": "normal", "u": 0.01},
        "R": {"value": 10.0, "distribution": "rectangular", "half_width": 0.05},
    },
    "correlations": [["V", "R", 0.3]],
}


@pytest.fixture
def client():
    return APIClient()


def test_uncertainty_gum_matches_the_core(client):
    response = client.post("/api/uncertainty/evaluate/", MODEL, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == evaluate_document(MODEL, method="gum")
    assert response.json()["outputs"]["P"]["value"] == pytest.approx(2.5)


def test_uncertainty_both_methods_are_reproducible_for_a_seed(client):
    body = {**MODEL, "method": "both", "trials": 20000, "seed": 3}
    first = client.post("/api/uncertainty/evaluate/", body, format="json").json()
    again = client.post("/api/uncertainty/evaluate/", body, format="json").json()
    assert first == again
    assert set(first) >= {"gum", "mc", "validated"}
    assert first["mc"]["outputs"]["P"]["u"] == pytest.approx(first["gum"]["outputs"]["P"]["u"], rel=0.05)


def test_uncertainty_bad_input_names_the_field(client):
    bad = {"outputs": {"P": "V**2 / Q"}, "inputs": {"V": {"value": 1, "distribution": "normal", "u": 0.1}}}
    response = client.post("/api/uncertainty/evaluate/", bad, format="json")
    assert response.status_code == 400
    assert "Q" in response.json()["detail"]
    negative = {"outputs": {"P": "V"}, "inputs": {"V": {"value": 1, "distribution": "normal", "u": -0.1}}}
    response = client.post("/api/uncertainty/evaluate/", negative, format="json")
    assert response.status_code == 400 and "inputs.V" in response.json()["detail"]
    response = client.post("/api/uncertainty/evaluate/", {**MODEL, "method": "mc", "trials": 10**9}, format="json")
    assert response.status_code == 400 and response.json()["detail"].startswith("trials")


def test_comparison_compute(client):
    rows = [{"lab": "A", "value": 10.1, "u": 0.1}, {"lab": "B", "value": 10.0, "u": 0.1}, {"lab": "C", "value": 9.9, "u": 0.2}]
    response = client.post("/api/comparison/compute/", {"estimator": "weighted-mean", "results": rows}, format="json")
    assert response.status_code == 200
    assert response.json() == compute_document(rows, "weighted-mean")
    response = client.post(
        "/api/comparison/compute/",
        {"estimator": "weighted-mean", "results": [{"lab": "A", "value": 1, "u": 0}, {"lab": "B", "value": 1, "u": 1}]},
        format="json",
    )
    assert response.status_code == 400 and "u" in response.json()["detail"]


def test_prepack_judge(client):
    values = [500.0 + (k % 5) - 2 for k in range(80)]
    response = client.post(
        "/api/prepack/judge/", {"nominal": 500, "unit": "g", "batch_size": 1000, "values": values}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["n"], body["lambda"], body["T"], body["pass"]) == (80, 0.295, 15.0, True)
    response = client.post(
        "/api/prepack/judge/", {"nominal": 500, "unit": "stone", "batch_size": 1000, "values": values}, format="json"
    )
    assert response.status_code == 400 and "unit" in response.json()["detail"]


def test_calculators_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"/api/uncertainty/evaluate/", "/api/comparison/compute/", "/api/prepack/judge/"} <= set(schema["paths"])


def test_api_docs_are_served_without_a_cdn(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower() and "//unpkg" not in page
