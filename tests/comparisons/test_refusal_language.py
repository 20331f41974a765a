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
