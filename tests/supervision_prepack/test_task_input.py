"""Individual tare, mixing measurement modes, and bad task input on the demo province.

Published numbers used (国家质检总局令第75号《定量包装商品计量监督管理办法》, JJF 1070-2005):
附表3 — 300 g < Qn ≤ 500 g: T = 3 % of Qn, so Qn = 500 g gives T = 15 g;
附表4 — batch 501–3200: n = 80, λ = 0.295, at most 5 units short by more than T, none by more than 2T.
"""

import pytest

from jiliang.accounts.models import Membership
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as reg
from jiliang.supervision.prepack import services
from jiliang.supervision.prepack.models import Inspection

pytestmark = pytest.mark.django_db


def test_individual_tare_and_mode_mixing(world):
    inspection = world.task(batch_size=30)  # 附表4: 11–50: n = 10, λ = 1.028, no unit short by more than T
    gross = [531.0, 532.0, 530.5, 529.0, 533.0, 531.5, 530.0, 532.5, 531.0, 511.0]
    tare = [30.0, 31.0, 30.0, 29.5, 30.5, 31.0, 29.0, 30.0, 30.5, 30.0]
    with pytest.raises(services.InspectionError) as refused:
        services.add_measurements(world.inspector_user, inspection, gross=gross, tare=tare[:9])
    assert refused.value.field == "tare"
    services.add_measurements(world.inspector_user, inspection, gross=gross, tare=tare)
    with pytest.raises(services.InspectionError) as mixed:
        services.add_measurements(world.inspector_user, inspection, values=[500.0])
    assert mixed.value.field == "mode"
    inspection = services.judge_inspection(world.inspector_user, inspection)
    assert (inspection.n, inspection.correction_factor, inspection.T) == (10, 1.028, 15.0)
    assert inspection.short_T == 1 and inspection.passed is False  # 511 − 30 = 481 g: short by 19 g > T
    assert list(inspection.units.values_list("net", flat=True)) == [g - t for g, t in zip(gross, tare)]


def test_bad_task_input_is_refused_and_writes_nothing(world):
    before = reg.Organisation.objects.count()
    cases = {
        "inspectors": dict(inspector_ids=[world.inspectors[0].pk]),
        "producer.credit_code": dict(
            producer={
                "credit_code": world.producer.credit_code[:17] + "0"
                if world.producer.credit_code[17] != "0"
                else world.producer.credit_code[:17] + "1"
            }
        ),
        "unit": dict(unit="oz"),
        "retailer": dict(sampled_at="retailer"),
        "scales": dict(scale_ids=[]),
    }
    for field, overrides in cases.items():
        with pytest.raises(ValueError) as refused:
            world.task(**overrides)
        assert refused.value.field == field, (field, str(refused.value))
    assert not Inspection.objects.exists() and reg.Organisation.objects.count() == before

    # A producer not yet in the registry is registered from its credit code (region in characters 3–8).
    code = make_credit_code("91" + world.producer.region.code + "MA7NEWC01")
    inspection = world.task(producer={"credit_code": code, "name": "新生食品有限公司"})
    assert inspection.producer.credit_code == code and inspection.producer.region == world.producer.region
    assert inspection.producer.kind == "enterprise"

    outsider = Membership.objects.get(user=world.other_admin)
    assert not outsider.region.code.startswith(world.producer.region.code[:4])
    with pytest.raises(services.NotAllowed):
        world.task(user=world.other_admin)
