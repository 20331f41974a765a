"""A net-content inspection's refusals in the user's language (no database: an unsaved inspection)."""

import pytest
from django.utils import translation

from jiliang.supervision.prepack.models import Inspection
from jiliang.supervision.prepack.policies import require_state
from jiliang.supervision.prepack.services import InspectionError


def test_a_step_out_of_state_is_refused_in_chinese_and_in_english():
    inspection = Inspection(status=Inspection.Status.PUBLISHED)
    for language, expected in (
        ("zh-hans", "status: 检验的状态为“已公布”，不能再录入测量数据"),
        ("en", "status: measurements are closed once the inspection is Published"),
    ):
        with translation.override(language), pytest.raises(InspectionError) as refused:
            require_state(inspection, "measure", InspectionError)
        assert str(refused.value) == expected


def test_a_refusal_of_the_core_is_said_in_chinese_and_in_english():
    from jiliang.core import prepack as core
    from jiliang.messages import render

    with pytest.raises(core.PrepackError) as refused:
        core.net_from_gross([10.0], [11.0], 500, "g")
    assert render(refused.value, "zh-hans") == "gross[0]：净含量为负数（-1）"
    assert render(refused.value, "en") == "gross[0]: net content is negative (-1)"
