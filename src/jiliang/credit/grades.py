"""Credit-risk classes of organisations (placeholder, replaced by the credit app at merge)."""

from __future__ import annotations


def current_grades(organisation_ids) -> dict[int, str]:
    # placeholder, replaced by the credit app at merge
    return {i: "B" for i in organisation_ids}
