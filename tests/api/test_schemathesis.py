"""OpenAPI-driven fuzzing (schemathesis) of the registry and accounts API against the
WSGI application: no generated request, as anonymous or as a province administrator,
may end in a server error (5xx)."""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from django.core import signals  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from django.db import transaction  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# The registry and accounts endpoints (other apps' endpoints have their own tests).
EXAMPLES = 6
OUR_PATHS = r"^/api/(regions|fields|quantities|specifications|catalog-items|primary-standards|organisations|standards|reference-materials|people|qualifications|instruments|events|tokens|me|auth)/"


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


def test_no_server_error(world, wsgi_app):
    # The pytest plugin of schemathesis does not run under pytest 9 yet: drive each
    # operation's Hypothesis strategy directly, a bounded number of examples each.
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app).include(path_regex=OUR_PATHS)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50
    failures, calls = [], []

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case):
            for role in ("anonymous", "province_admin"):
                cache.clear()  # anonymous throttling would otherwise answer 429 to most examples
                headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world.tokens[role]}"}
                with transaction.atomic():  # each call sees the same rows
                    response = case.call(headers=headers)
                    transaction.set_rollback(True)
                calls.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{role}: {case.method} {case.formatted_path} {case.query} {case.body!r:.300} "
                                    f"→ {response.status_code}\n{response.text[:1500]}")

        run()
    assert not failures, "\n\n".join(failures[:10])
    # The run really exercised the API: every operation was called, some successfully.
    assert len(calls) >= 2 * len(operations) and {200, 201} & set(calls) and {400, 401} <= set(calls)
