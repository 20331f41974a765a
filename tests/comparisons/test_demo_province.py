"""The workflow on the generated demo province: a provincial mass comparison among the
legal metrology institutes that hold an active mass standard, with users of the accounts
layer; the stored results are the core's, the outlier gets a follow-up seen by its region's
administrator."""

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.comparisons import services, visibility
from jiliang.comparisons.models import FollowUpAction
from jiliang.core.comparison import compute_document
from jiliang.registry import demo
from jiliang.registry import models as reg

from .conftest import deadline

pytestmark = pytest.mark.django_db


def test_provincial_comparison_on_the_demo_province(db):
    demo.generate(instruments=2000, seed=7, as_of=timezone.localdate())
    standards = list(
        reg.MeasurementStandard.objects.filter(status="active", holder__kind="legal_institute")
        .select_related("holder__region", "field")
        .order_by("holder__region__code", "id")
    )
    by_field = {}
    for std in standards:
        by_field.setdefault(std.field_id, {}).setdefault(std.holder_id, std)
    field_id, holders = max(by_field.items(), key=lambda kv: len(kv[1]))
    chosen = list(holders.values())[:5]
    assert len(chosen) >= 3, "the demo province should have several institutes in one field"
    province = reg.Region.objects.get(code=chosen[0].holder.region.code[:2] + "0000")
    pilot_std = chosen[0]
    quantity = reg.Quantity.objects.filter(field_id=field_id).first()
    User = get_user_model()
    admin = User.objects.create_user("demo_admin", password=None)
    Membership.objects.create(user=admin, role="region_admin", region=province)
    staff = {}
    for i, std in enumerate(chosen):
        user = User.objects.create_user(f"demo_staff_{i}", password=None)
        Membership.objects.create(user=user, role="institution_staff", organisation=std.holder)
        staff[std.holder_id] = user

    pilot = staff[pilot_std.holder_id]
    c = services.create_comparison(
        admin,
        code="DEMO-2026-01",
        title="省级比对",
        kind="local",
        pilot=pilot_std.holder,
        administrator_region=province,
        submission_deadline=deadline(),
    )
    m = services.add_measurand(pilot, c, name="nominal point", quantity=quantity, nominal_value=100.0)
    for i, std in enumerate(chosen):
        services.add_participant(pilot, c, institution=std.holder, standard=std, label=f"L{i + 1}")
    services.open_submissions(pilot, c)
    values = itertools.cycle([100.0011, 100.0009, 100.0010, 100.0012])
    rows = []
    for i, std in enumerate(chosen):
        value = 100.0100 if i == len(chosen) - 1 else next(values)  # the last one is far off
        services.submit(staff[std.holder_id], c, measurand=m, value=value, u=0.0002, dof=30)
        rows.append({"lab": f"L{i + 1}", "value": value, "u": 0.0002, "dof": 30, "in_reference": 1})
    services.close_submissions(pilot, c)
    services.compute(pilot, c, estimator="paule-mandel")
    m.refresh_from_db()
    assert m.result == compute_document(rows, "paule-mandel")
    services.write_report(pilot, c, stage="draft_a", introduction="demo")
    outlier = chosen[-1]
    action = FollowUpAction.objects.get(institution=outlier.holder)
    assert action.standard_id == outlier.pk and action.verdict == "unsatisfactory"
    assert list(visibility.follow_ups(visibility.Viewer.of(admin)).values_list("pk", flat=True)) == [action.pk]
    assert list(visibility.follow_ups(visibility.Viewer.of(staff[outlier.holder_id])).values_list("pk", flat=True)) == [action.pk]
    assert not visibility.follow_ups(visibility.Viewer.of(pilot)).exists()  # the pilot is another institution
