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
