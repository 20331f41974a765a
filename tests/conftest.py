"""Shared fixtures. Tests that touch the database carry the django_db mark, so that the
PostgreSQL pass of scripts/test can select them with `-m django_db`."""

from contextlib import contextmanager

import pytest


def uses_database(request) -> bool:
    return bool({"db", "transactional_db", "_django_db_helper", "live_server"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def isolated_state(request):
    """Each test starts with an empty cache (throttle counters, login failures, cached
    panels) and an empty region-scope cache (region ids differ between test databases).
    The cache and the counters are tables of the database (jiliang.cache), so only tests
    with the database have them (their writes roll back with the test's transaction too)."""
    from django.core.cache import cache

    from jiliang.accounts.roles import clear_region_cache
    from jiliang.cache import counters

    with_cache = uses_database(request)
    if with_cache:
        cache.clear()
        counters().clear()
    clear_region_cache()
    yield
    if with_cache:
        cache.clear()
        counters().clear()
    clear_region_cache()


@pytest.fixture
def reference_data(db):
    """Fields, quantities, specifications, the catalog, and the demo province's regions."""
    from jiliang.registry import reference_data

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())


@contextmanager
def rolled_back(django_db_blocker):
    """For a module- or session-scoped fixture that builds rows once (a demo province):
    built inside a transaction rolled back when the fixture ends. Each test then runs in a
    savepoint inside it (the `db` fixture), so tests do not see each other's writes."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
