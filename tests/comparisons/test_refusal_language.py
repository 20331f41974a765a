"""A comparison's refusals in the user's language (no database: an unsaved comparison)."""

import pytest
from django.utils import translation

from jiliang.comparisons.errors import WorkflowError
from jiliang.comparisons.models import Comparison
from jiliang.comparisons.policies import require_state


def test_a_step_out_of_state_is_refused_in_chinese_and_in_english():
    comparison = Comparison(status=Comparison.Status.DRAFT)
    for language, expected in (
        ("zh-hans", "status: 比对的状态为“草案”，此步骤要求状态为 报告草案B"),
        ("en", "status: the comparison is Draft; this step needs it to be Draft B report"),
    ):
        with translation.override(language), pytest.raises(WorkflowError) as refused:
            require_state(comparison, "approve")
        assert str(refused.value) == expected


def test_a_refusal_of_the_core_is_said_in_chinese_and_in_english():
    from jiliang.core.comparison import ComparisonInputError
    from jiliang.core.comparison.data import results_from_rows
    from jiliang.messages import render

    with pytest.raises(ComparisonInputError) as refused:
        results_from_rows([{"lab": "A", "value": 1.0, "u": 0.1}, {"lab": "A", "value": 1.1, "u": 0.1}])
    assert render(refused.value, "zh-hans") == "实验室 A，lab：实验室名称重复"
    assert render(refused.value, "en") == "lab A, lab: duplicate laboratory name"
