"""Issue 17 §7: domestic comparison types per JJF 1117-2010 §3 (国家/大区/地方计量比对);
the CIPM words (key, supplementary) are kept for imported KCDB results only."""

import importlib

import pytest
from django.apps import apps

from jiliang.comparisons.models import Comparison

from .conftest import deadline

pytestmark = pytest.mark.django_db


def _create(world, kind, code):
    return world.client("admin").post(
        "/api/comparisons/",
        {
            "code": code,
            "title": "1 kg 砝码质量比对",
            "kind": kind,
            "pilot": world.orgs["P"].pk,
            "administrator_region": "330000",
            "submission_deadline": deadline().isoformat(),
        },
        format="json",
    )


def test_domestic_types_are_the_jjf1117_ones(world):
    assert Comparison.Kind.NATIONAL.label == "国家计量比对"
    assert Comparison.Kind.REGIONAL.label == "大区计量比对"
    assert Comparison.Kind.LOCAL.label == "地方计量比对"
    assert "key" not in Comparison.Kind.values
    response = _create(world, "national", "ZJ-N-1")
    assert response.status_code == 201, response.content
    assert Comparison.objects.get(code="ZJ-N-1").kind == "national"


@pytest.mark.parametrize("kind", ["cipm_key", "rmo_key", "supplementary"])
def test_an_international_type_is_refused_for_a_comparison_organised_here(world, kind):
    response = _create(world, kind, f"ZJ-{kind}")
    assert response.status_code == 400
    assert "JJF 1117-2010 第3章" in response.content.decode()
    assert not Comparison.objects.filter(code=f"ZJ-{kind}").exists()


def test_data_migration_turns_key_into_national(world, capsys):
    assert _create(world, "national", "ZJ-OLD-1").status_code == 201
    Comparison.objects.filter(code="ZJ-OLD-1").update(kind="key")  # as stored before the migration
    migration = importlib.import_module("jiliang.comparisons.migrations.0003_jjf1117_types")
    migration.key_to_national(apps, None)
    assert Comparison.objects.get(code="ZJ-OLD-1").kind == "national"
    printed = capsys.readouterr().out
    assert "ZJ-OLD-1" in printed and "Not inferred" in printed
