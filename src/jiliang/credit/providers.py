"""Where the evidence comes from: each source app's ``credit_evidence`` module.

The contract (the other apps plug in without importing this app): a module
``<app>.credit_evidence`` exposing ``evidence() -> list[tuple[str, QuerySet]]``, each item an
evidence kind and a queryset of ``.values_list("organisation_id", "occurred_on", "reference")``.
A provider is loaded only when its app is installed.
"""

from __future__ import annotations

import importlib

from django.apps import apps

PROVIDERS = (
    "jiliang.supervision.prepack.credit_evidence",
    "jiliang.supervision.telemetry.credit_evidence",
    "jiliang.portal.credit_evidence",
    "jiliang.registry.credit_evidence",
    "jiliang.assessment.credit_evidence",
    "jiliang.inspections.credit_evidence",
    "jiliang.cases.credit_evidence",
    "jiliang.energy.credit_evidence",
    "jiliang.institutions.credit_evidence",
)


def installed() -> list[str]:
    return [path for path in PROVIDERS if apps.is_installed(path.rsplit(".", 1)[0])]


def sources() -> list[tuple[str, object]]:
    """(kind, queryset) of every installed provider."""
    out = []
    for path in installed():
        out.extend(importlib.import_module(path).evidence())
    return out
