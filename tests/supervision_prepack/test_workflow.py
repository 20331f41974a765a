"""The inspection use cases on the demo province: a passing and a failing inspection end to
end (approval, credit record, notice, publication), and the untraceable-scale refusal.

Published numbers used (国家质检总局令第75号《定量包装商品计量监督管理办法》, JJF 1070-2005):
附表3 — 300 g < Qn ≤ 500 g: T = 3 % of Qn, so Qn = 500 g gives T = 15 g;
附表4 — batch 501–3200: n = 80, λ = 0.295, at most 5 units short by more than T, none by more than 2T.
"""

import numpy as np
import pytest

from jiliang.audit.models import AuditEntry
from jiliang.registry import models as reg
from jiliang.supervision.prepack import services
from jiliang.supervision.prepack.models import CreditRecord, Inspection, InspectionScale, Notice

from .conftest import sample

pytestmark = pytest.mark.django_db


def test_passing_inspection_end_to_end(world):
    inspection = world.task()
    assert inspection.status == "draft" and inspection.edition == "JJF 1070-2005" and inspection.kind == "mass"
    assert inspection.producer == world.producer  # picked by credit code (given in lower case)
    link = InspectionScale.objects.get(inspection=inspection)
    assert link.instrument == world.scale and link.traceable and link.checked_on == world.today

    values = sample(80, mean=503.0, sd=2.0)
    services.add_measurements(world.inspector_user, inspection, values=values[:30])  # entered in two goes, as on a phone
    inspection = services.add_measurements(world.inspector_user, inspection, values=values[30:])
    assert inspection.status == "measured" and inspection.units.count() == 80

    inspection = services.judge_inspection(world.inspector_user, inspection)
    assert inspection.status == "judged" and inspection.passed is True and inspection.reasons == []
    assert (inspection.T, inspection.n, inspection.correction_factor) == (15.0, 80, 0.295)  # 附表3, 附表4
    assert (inspection.allowed_short_T, inspection.allowed_short_2T) == (5, 0)
    assert inspection.mean == pytest.approx(np.mean(values), rel=1e-12)
    assert inspection.s == pytest.approx(np.std(values, ddof=1), rel=1e-12)
    assert inspection.mean_ok is True and inspection.short_T == 0
    assert not Notice.objects.exists()

    with pytest.raises(services.NotAllowed):  # staff of an institute do not approve
        services.approve_inspection(world.inspector_user, inspection)
    with pytest.raises(services.NotAllowed):  # nor does the administrator of another county
        services.approve_inspection(world.other_admin, inspection)
    inspection = services.approve_inspection(world.admin_user, inspection)
    assert inspection.status == "approved" and inspection.approved_by == world.admin_user
    record = CreditRecord.objects.get(organisation=world.producer)
    assert (record.outcome, record.weight, record.source, record.subject) == ("pass", 0, "prepack inspection", inspection)

    inspection = services.publish_inspection(world.admin_user, inspection)
    assert inspection.status == "published" and list(services.published()) == [inspection]
    actions = list(
        AuditEntry.objects.filter(object_type="prepack.inspection", object_id=str(inspection.pk)).values_list("action", flat=True)
    )
    assert actions.count("status_change") == 3 and "create" in actions


def test_failing_inspection_notifies_and_enters_the_credit_history(world):
    inspection = world.task(sampled_at="retailer", retailer={"credit_code": world.retailer.credit_code})
    values = sample(80, mean=497.0, sd=4.0, seed=2)
    values[0] = 500 - 31.0  # short by more than 2T = 30 g
    services.add_measurements(world.inspector_user, inspection, values=values)
    inspection = services.judge_inspection(world.inspector_user, inspection)
    mean, s = np.mean(values), np.std(values, ddof=1)
    assert mean < 500 - 0.295 * s  # the mean criterion q̄ ≥ Qn − λ·s fails
    assert inspection.passed is False and inspection.mean_ok is False and inspection.short_2T == 1
    assert any("平均实际含量不合格" in r for r in inspection.reasons)
    assert any("2T = 30 g" in r for r in inspection.reasons)

    notice = Notice.objects.get(inspection=inspection)
    assert notice.recipient.kind == reg.Organisation.Kind.ADMINISTRATION
    assert world.producer.region.code.startswith(notice.recipient.region.descendant_codes_prefix())
    assert "不合格" in notice.body and world.producer.credit_code in notice.body

    services.approve_inspection(world.admin_user, inspection)
    record = CreditRecord.objects.get(organisation=world.producer)
    assert (record.outcome, record.severity, record.reference) == ("fail", "major", inspection.number)
    assert record.weight < 0 and record.subject == inspection


def test_an_untraceable_scale_is_refused_with_the_engines_reasons(world):
    scale, chain = world.suspended_scale()
    assert any(r["code"] == "STANDARD_SUSPENDED" for r in chain["reasons"])
    with pytest.raises(services.InspectionError) as refused:
        world.task(scale_ids=[world.scale.pk, scale.pk])
    assert refused.value.field == "scales"
    assert scale.code in str(refused.value) and "STANDARD_SUSPENDED" in str(refused.value)
    assert world.scale.code not in str(refused.value)
    assert [r["code"] for r in refused.value.details[scale.code]] == [r["code"] for r in chain["reasons"] if not r["warning"]]
    assert not Inspection.objects.exists()
