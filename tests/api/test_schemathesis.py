"""OpenAPI-driven fuzzing (schemathesis) of the whole API against the WSGI application,
bounded for CI: for every operation of the schema, a few generated requests as each of
three roles (anonymous, a province administrator, an institution's verifier) must answer

- no server error (5xx),
- a status code the schema documents for the operation,
- a documented content type, and a body that conforms to the documented response schema.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from jiliang.cache import counters

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Examples per operation and role, bounded for CI: 2 on SQLite (about half a minute), 1 on the
# PostgreSQL pass, whose round trips cost several times more and which is CI's longest (it
# checks the same schema again; what differs is the database: NUL bytes, lengths, locks).
# SCHEMATHESIS_EXAMPLES=20 for a longer local run.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES") or (1 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 2))
ROLES = ("anonymous", "province_admin", "staff_a")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app():
    from jiliang.wsgi import application

    # As Django's test client does: requests must not close the test's connection.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_api_conforms_to_its_schema(world, wsgi_app):
    # The pytest plugin of schemathesis does not run under pytest 9 yet: drive each
    # operation's Hypothesis strategy directly, a bounded number of examples each.
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80
    failures: dict[tuple[str, str], list[str]] = defaultdict(list)
    statuses: dict[str, set[int]] = defaultdict(set)
    started = time.monotonic()

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def run(case):
            for role in ROLES:
                counters().clear()  # anonymous throttling would otherwise answer 429 to most examples
                headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
                with transaction.atomic():  # each call sees the same rows
                    response = case.call(headers=headers)
                    try:
                        case.validate_response(response, checks=CHECKS, headers=headers)
                    except (AssertionError, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup: a failure per check
                        for failure in getattr(exc, "exceptions", [exc]):
                            title = getattr(failure, "title", None) or type(failure).__name__
                            failures[(operation.label, title)].append(
                                f"{role}: {case.method} {case.formatted_path} {case.query or ''} {case.body!r:.200} → "
                                f"{response.status_code} {response.content[:300]!r}\n    {str(failure)[:600]}"
                            )
                    transaction.set_rollback(True)
                statuses[operation.label].add(response.status_code)

        run()
    elapsed = time.monotonic() - started
    report = "\n\n".join(f"{label}: {title}\n  {cases[0]}" for (label, title), cases in sorted(failures.items()))
    assert not failures, f"{len(failures)} (operation, check) failures in {elapsed:.0f} s:\n{report}"
    # The run really exercised the API: every operation was called, some successfully.
    everything = set().union(*statuses.values())
    assert len(statuses) == len(operations) and {200, 201} <= everything and {400, 401} <= everything
