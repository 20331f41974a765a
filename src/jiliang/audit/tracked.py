"""Which models the ledger follows: every row of a tracked model must be on the ledger."""

from __future__ import annotations

from django.db import models

# Model → the field whose change is a ``status_change``, and whether that change needs a reason.
TRACKED: dict[type[models.Model], tuple[str | None, bool]] = {}


def tracked_models() -> list[type[models.Model]]:
    return list(TRACKED)


def reason_required(model) -> bool:
    return TRACKED.get(model, (None, False))[1]


def status_field(model) -> str | None:
    return TRACKED.get(model, (None, False))[0]
