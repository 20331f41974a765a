"""The policies are the one place the rules live (issue 24, item 1): every lifecycle's
states are the model's own, templates ask the policy instead of comparing status
strings, services refuse a step through the same table, and the registry imports
nothing of the accounts app (roles live in ``jiliang.policies``, below every app)."""

from __future__ import annotations

import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from django.apps import apps

import jiliang
from jiliang.comparisons import policies as comparison_policies
from jiliang.comparisons.models import Comparison
from jiliang.core.identifiers import make_credit_code
from jiliang.policies import ANONYMOUS, AUDITOR, NATIONAL, REGION_ADMIN, STAFF, Actor, policy_of
from jiliang.registry import models
from jiliang.registry.policies import StandardPolicy
from jiliang.supervision.prepack import policies as prepack_policies
from jiliang.supervision.prepack.models import Inspection

PACKAGE = Path(jiliang.__file__).resolve().parent

LIFECYCLES = [
    (Comparison, comparison_policies.POLICY),
    (Inspection, prepack_policies.POLICY),
    (models.MeasurementStandard, StandardPolicy()),
]


@pytest.mark.parametrize("model, policy", LIFECYCLES, ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_every_transition_starts_and_ends_in_states_of_the_model(model, policy):
    states = {str(value) for value, _ in model._meta.get_field(policy.state_field).choices}
    assert policy.transitions
    for action, (sources, target) in policy.transitions.items():
        assert set(map(str, sources)) <= states, action
        assert target is None or str(target) in states, action


@pytest.mark.parametrize("app", ["comparisons", "supervision/prepack"])
def test_workflow_templates_ask_the_policy_not_the_status(app):
    """A button or form shows when the policy allows the step: no template of a workflow
    compares its record's status with a string."""
    offending = []
    for path in (PACKAGE / app / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"\.status\s*==\s*[\"']", text):
            offending.append(f"{path.relative_to(PACKAGE)}: {text[max(0, match.start() - 30) : match.end() + 20]!r}")
    assert not offending, "\n".join(offending)


@pytest.mark.parametrize("app", ["comparisons", "supervision/prepack"])
def test_workflow_services_refuse_steps_through_the_table(app):
    source = (PACKAGE / app / "services.py").read_text(encoding="utf-8")
    assert "_require_status" not in source
    assert "require_state(" in source


def test_the_registry_imports_nothing_of_the_accounts_app():
    importers = []
    for path in (PACKAGE / "registry").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(name.startswith("jiliang.accounts") for name in names):
                importers.append(str(path.relative_to(PACKAGE)))
    assert not importers, importers


def test_policy_of_finds_each_apps_policy():
    for model in (Comparison, Inspection, models.Instrument, models.CalibrationEvent):
        assert policy_of(model) is not None
    assert policy_of(models.Instrument).public is False
    assert policy_of(models.MeasurementStandard).public is True


@pytest.mark.django_db
def test_allowed_actions_of_a_standard_follow_role_and_state(reference_data):
    region = models.Region.objects.get(code="330106")
    holder = models.Organisation.objects.create(
        name="测试所", kind="legal_institute", region=region, credit_code=make_credit_code("12330106000000077")
    )
    field = models.MetrologyField.objects.first()
    standard = models.MeasurementStandard.objects.create(
        name="测试标准",
        tier="public",
        level="county",
        holder=holder,
        field=field,
        certificate_number="[2024]测第1号",
        issuing_department=holder,
        valid_from=dt.date(2024, 1, 1),
    )
    policy = StandardPolicy()
    national, staff = Actor(NATIONAL), Actor(STAFF, organisation_id=holder.pk, is_verifier=True)
    county = Actor(REGION_ADMIN, region_prefix="330106")
    auditor, anonymous = Actor(AUDITOR, region_prefix="33"), Actor(ANONYMOUS)
    assert policy.allowed_actions(national, standard) == ["suspend", "seal", "cancel", "expire"]
    assert policy.allowed_actions(county, standard) == ["suspend", "seal", "cancel", "expire"]
    for actor in (staff, auditor, anonymous):
        assert policy.allowed_actions(actor, standard) == []
    standard.status = "suspended"
    assert policy.allowed_actions(national, standard) == ["cancel", "expire", "reactivate"]
    standard.status = "sealed"  # 封存: restored (恢复), cancelled or left to expire
    assert policy.allowed_actions(national, standard) == ["cancel", "expire", "reactivate"]
    standard.status = "cancelled"
    assert policy.allowed_actions(national, standard) == []  # a cancellation is final


def test_every_app_with_a_policy_keeps_it_in_the_same_room():
    for app in ("registry", "comparisons", "certificates", "portal", "verification"):
        config = apps.get_app_config(app)
        assert (Path(config.path) / "policies.py").exists(), app
