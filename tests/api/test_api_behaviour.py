"""Validation errors that name the field and the reason, cursor pagination, and the
OpenAPI schema generating without warnings."""

from __future__ import annotations

import pytest

from jiliang.core.identifiers import credit_code_check_character, make_credit_code
from jiliang.registry import models

pytestmark = pytest.mark.django_db


def test_bad_credit_code_names_the_field_and_the_check_character(world):
    # GB 32100: the 18th character is the check character of the first 17.
    first17 = "91330106000000777"
    good = make_credit_code(first17)
    wrong = "0" if good[-1] != "0" else "1"
    payload = {
        "name": "校验码错误企业",
        "kind": "enterprise",
        "region": world.regions["330106"].pk,
        "credit_code": first17 + wrong,
    }
    response = world.client("province_admin").post("/api/organisations/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == ["credit_code"]
    assert f"应为 '{credit_code_check_character(first17)}'" in errors["credit_code"][0]
    assert not models.Organisation.objects.filter(name="校验码错误企业").exists()


def test_model_clean_rules_come_back_as_field_errors(world):
    client = world.client("province_admin")
    # MeasurementStandard.clean(): only public standards have a level.
    standard = {
        "name": "私有标准",
        "tier": "enterprise",
        "level": "county",
        "holder": world.orgs["a"].pk,
        "field": world.rows["mechanics"].pk,
        "certificate_number": "[2025]X",
        "issuing_department": world.orgs["bureau"].pk,
        "valid_from": "2025-01-01",
    }
    response = client.post("/api/standards/", standard, format="json")
    assert response.status_code == 400 and "level" in response.json()
    material = {
        "number": "GBW12345",
        "name": "x",
        "level": "secondary",
        "producer": world.orgs["a"].pk,
        "expires_on": "2030-01-01",
    }
    response = world.client("staff_a").post("/api/reference-materials/", material, format="json")
    assert response.status_code == 400 and "GBW(E)" in response.json()["number"][0]
    # A unique constraint over two columns names both (by their verbose names).
    value = {"component": "乙醇", "value": 1, "unit": "mg/mL", "uncertainty": 0.1}
    response = world.client("staff_a").post(
        f"/api/reference-materials/{world.rows['material'].pk}/certified-values/", value, format="json"
    )
    assert response.status_code == 400
    assert "特性量" in response.json()["non_field_errors"][0]


def test_integrity_error_is_a_400_naming_the_constraint():
    from django.db import IntegrityError

    from jiliang.registry.api.views import integrity_error_detail

    assert integrity_error_detail(IntegrityError("CHECK constraint failed: instrument_range_ordered")) == {
        "non_field_errors": ["violates constraint instrument_range_ordered"]
    }
    assert integrity_error_detail(IntegrityError("UNIQUE constraint failed: registry_instrument.code")) == {
        "code": ["violates unique constraint on registry_instrument.code"]
    }


def test_cursor_pagination_walks_every_row_once(world):
    owner, region, item = world.orgs["e"], world.regions["330106"], world.rows["item"]
    models.Instrument.objects.bulk_create(
        [
            models.Instrument(
                code=f"E-P{i:04d}", name="水表", owner=owner, region=region, catalog_item=item, legal_purpose="trade"
            )
            for i in range(23)
        ]
    )
    client = world.client("enterprise")
    expected = list(models.Instrument.objects.filter(owner=owner).order_by("id").values_list("id", flat=True))
    seen, url, pages = [], "/api/instruments/?page_size=5", 0
    while url:
        body = client.get(url).json()
        assert "count" not in body  # no COUNT(*) on 10^7 rows
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert seen == expected and pages == 5
    # Ordering by code, backwards, and a previous link from the second page.
    first = client.get("/api/instruments/", {"ordering": "-code", "page_size": 10}).json()
    codes = [row["code"] for row in first["results"]]
    assert codes == sorted(codes, reverse=True)
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [row["code"] for row in back["results"]] == codes
    # Ordering by an unindexed column is refused (ignored) rather than sorting 10^7 rows.
    by_name = client.get("/api/instruments/", {"ordering": "name", "page_size": 50}).json()
    assert [row["id"] for row in by_name["results"]] == expected[:50]
    assert client.get("/api/instruments/", {"cursor": "garbage"}).status_code == 404


def test_filters_and_search(world):
    client = world.client("province_admin")
    rows = client.get("/api/instruments/", {"search": "E-0001"}).json()["results"]
    assert [row["code"] for row in rows] == ["E-0001"]
    rows = client.get("/api/instruments/", {"region": world.regions["330108"].pk}).json()["results"]
    assert [row["code"] for row in rows] == ["B-DEV-1"]
    rows = client.get("/api/events/", {"performer": world.orgs["a"].pk}).json()["results"]
    assert [row["certificate_number"] for row in rows] == ["A-2025-0001"]
    rows = client.get("/api/standards/", {"region": world.regions["330108"].pk}).json()["results"]
    assert [row["certificate_number"] for row in rows] == ["[2024]滨量标第1号"]
    assert client.get("/api/instruments/", {"region": "not-a-number"}).status_code == 400


def test_openapi_schema_generates_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS, f"schema warnings/errors: {GENERATOR_STATS._warn_cache} {GENERATOR_STATS._error_cache}"
    paths = schema["paths"]
    for path in (
        "/api/instruments/",
        "/api/instruments/bulk/",
        "/api/standards/{id}/status/",
        "/api/standards/{id}/capabilities/",
        "/api/events/{id}/standards/",
        "/api/tokens/",
        "/api/me/",
    ):
        assert path in paths, path
    assert "delete" not in paths["/api/events/{id}/"] and "delete" not in paths["/api/standards/{id}/"]
    assert "delete" in paths["/api/people/{id}/"]
