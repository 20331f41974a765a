"""Entering measurements on the demo province: the short-sample refusal (and starting over),
a batch checked in full, and gross values with the average-tare method.

Published numbers used (国家质检总局令第75号《定量包装商品计量监督管理办法》, JJF 1070-2005):
附表3 — 300 g < Qn ≤ 500 g: T = 3 % of Qn, so Qn = 500 g gives T = 15 g;
附表4 — batch 501–3200: n = 80, λ = 0.295, at most 5 units short by more than T, none by more than 2T.
"""

import numpy as np
import pytest

from jiliang.core.prepack import PrepackError
from jiliang.supervision.prepack import services
from jiliang.supervision.prepack.models import InspectionUnit

from .conftest import sample

pytestmark = pytest.mark.django_db


def test_a_sample_smaller_than_the_plan_is_refused(world):
    inspection = world.task()
    services.add_measurements(world.inspector_user, inspection, values=sample(79, 503.0, 2.0))
    with pytest.raises(PrepackError, match=r"79 units, smaller than the plan for batch size 1000 asks \(n = 80\)"):
        services.judge_inspection(world.inspector_user, inspection)
    inspection.refresh_from_db()
    assert inspection.status == "measured" and inspection.passed is None
    with pytest.raises(services.InspectionError, match=r"样本将有 81 个单位，超过批量 1000 的抽样方案"):
        services.add_measurements(world.inspector_user, inspection, values=[500.0, 501.0])
    assert inspection.units.count() == 79
    inspection = services.add_measurements(world.inspector_user, inspection, values=sample(80, 503.0, 2.0, seed=3), replace=True)
    assert inspection.units.count() == 80 and list(inspection.units.values_list("position", flat=True)) == list(range(1, 81))
    assert services.judge_inspection(world.inspector_user, inspection).passed is True

    # 附表4 注2: a batch of 1–10 is checked in full (n = N) and no mean is computed.
    whole = world.task(batch_size=8)
    services.add_measurements(world.inspector_user, whole, values=[502.0, 501.0, 499.0, 490.0, 503.0, 500.0, 498.0, 501.5])
    whole = services.judge_inspection(world.inspector_user, whole)
    assert (whole.n, whole.correction_factor, whole.mean, whole.s) == (8, None, None, None)
    assert whole.passed is True and whole.short_T == 0  # 490 g is short by 10 g ≤ T = 15 g


def test_gross_and_average_tare(world):
    inspection = world.task(nominal="1", unit="kg", batch_size=200)  # 附表3: 500–1000 g: T = 15 g; 附表4: 100–500: n = 50
    rng = np.random.default_rng(5)
    tare_sample = list(np.round(24.0 + rng.normal(0, 0.4, 10), 1))  # mean ≈ 24 g ≤ 10 % of Qn
    gross = list(1.0 + 0.024 + np.round(rng.normal(0.004, 0.002, 50), 4))  # kg
    services.add_measurements(world.inspector_user, inspection, tare_sample=[t / 1000 for t in tare_sample])
    inspection.refresh_from_db()
    assert inspection.status == "draft"  # packagings alone are not a sample
    services.add_measurements(world.inspector_user, inspection, gross=gross)
    inspection = services.judge_inspection(world.inspector_user, inspection)
    assert inspection.mode == "average" and (inspection.T, inspection.n) == (0.015, 50)
    mean_tare = np.mean(tare_sample) / 1000
    assert inspection.mean_tare == pytest.approx(mean_tare, rel=1e-12)
    nets = np.array(InspectionUnit.objects.filter(inspection=inspection).order_by("position").values_list("net", flat=True))
    np.testing.assert_allclose(nets, np.array(gross) - mean_tare, rtol=1e-12)
    assert inspection.mean == pytest.approx(nets.mean(), rel=1e-12) and inspection.passed is True

    # Heavy, uneven packagings: mean tare 80 g > 10 % of 500 g and s > 0.25 T = 3.75 g; refused.
    other = world.task()
    services.add_measurements(
        world.inspector_user,
        other,
        gross=list(580.0 + np.arange(80) * 0.01),
        tare_sample=[70.0, 90.0, 75.0, 85.0, 72.0, 88.0, 80.0, 80.0, 74.0, 86.0],
    )
    with pytest.raises(PrepackError, match="average-tare method is not permitted") as refused:
        services.judge_inspection(world.inspector_user, other)
    assert refused.value.field == "tare"
    other.refresh_from_db()
    assert other.status == "measured"
