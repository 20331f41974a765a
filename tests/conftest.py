"""Shared fixtures. Tests that touch the database carry the django_db mark, so that the
PostgreSQL pass of scripts/test can select them with `-m django_db`."""

import os
from contextlib import contextmanager

import pytest

# When scripts/test runs both database passes (JILIANG_TEST_SPLIT=1), the two cores do not
# fit every database test twice. The tests of what depends on the database itself run on
# both backends: the registry and its bulk paths, the audit ledger, telemetry storage, the
# coverage ledger, the traceability loader, credit grading (raw SQL), the API's row rules and
# login throttles. Each app's workflow tests (its services, policies and pages through the
# ORM) run on one backend, listed here; both were green on both backends when the split
# was made (stop 19). The crawler still opens every page on PostgreSQL as the superuser and
# as an enterprise user, so each page's queries run there too. JILIANG_TEST_SPLIT unset
# (a developer's run, or no PostgreSQL) runs everything.
ONE_BACKEND = {
    "tests/web/": "sqlite",
    "tests/api/test_schemathesis.py": "sqlite",  # the same schema; one example a case on PostgreSQL added little
    "tests/calculations/": "sqlite",
    "tests/comparisons/": "sqlite",
    "tests/checks/": "sqlite",
    # verification's workflow (its coverage ledger and demo-province checks stay on both):
    # these cost PostgreSQL's pass 5-15× what they cost SQLite's, on the longest pass
    "tests/verification/test_pages.py": "sqlite",
    "tests/verification/test_recording.py": "sqlite",
    "tests/verification/test_registration.py": "sqlite",
    "tests/verification/test_api.py": "sqlite",
    "tests/verification/test_scheduling.py": "sqlite",
    "tests/certificates/": "postgresql",
    "tests/portal/": "postgresql",
    "tests/assessment/": "postgresql",
    "tests/authorisation/": "postgresql",
    "tests/cases/": "postgresql",
    "tests/energy/": "postgresql",
    "tests/inspections/": "postgresql",
    "tests/supervision_prepack/": "postgresql",
    "tests/institutions/": "sqlite",
    "tests/intervals/": "sqlite",
    "tests/refdata/": "sqlite",
    "tests/cmc/": "sqlite",
    "tests/witness/": "sqlite",
    "tests/matching/": "sqlite",
    "tests/plans/": "postgresql",  # the indicators' GROUP BY queries are written for the production database
    "tests/federation/": "postgresql",  # the centre applies records under row locks
    # the broker tests kill and restart MQTT and NATS brokers around the production database
    "tests/supervision/test_broker.py": "postgresql",
    "tests/supervision/test_nats.py": "postgresql",
    "tests/supervision/test_nats_restart.py": "postgresql",
    # the federation's fault tests kill and restart NATS servers; they run in the side pass (SQLite)
    "tests/federation_cluster/": "sqlite",
}
PG_KEEPS_OF_WEB = (
    "test_crawler.py::test_every_page_answers_each_role_as_its_access_says[superuser]",
    "test_crawler.py::test_every_page_answers_each_role_as_its_access_says[enterprise_user]",
    "test_crawler.py::test_no_page_links_a_page_the_role_is_refused[superuser]",
)


def _runs_in_this_pass(item, backend: str) -> bool:
    if "site" in getattr(item, "fixturenames", ()):  # the browser pass has its own live server
        return True
    if item.nodeid.endswith(PG_KEEPS_OF_WEB) or item.get_closest_marker("django_db") is None:
        return True  # tests without the database run in the SQLite pass (the other selects -m django_db)
    for prefix, only in ONE_BACKEND.items():
        if item.nodeid.startswith(prefix):
            return only == backend
    return True


# Long SQLite tests that mostly wait on subprocesses, servers or the disk run in scripts/test's
# browser pass (mostly waiting too), so the three passes end closer together.
SIDE_PASS = (
    "tests/registry/test_cli_demo.py",
    "tests/core/test_cli_refusals.py",
    "tests/api/test_login_security.py",
    "tests/audit/test_bulk_coverage.py",
    "tests/api/test_schemathesis.py",
    "tests/web/test_crawler.py",
    "tests/federation_cluster/",  # mostly waiting on NATS servers killed and restarted
)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(config, items):
    """The browser tests (those on the live server of tests/web/conftest.py) carry the
    `browser` mark, so scripts/test can run them in a pass of their own beside the two
    database passes: they spend most of their time waiting on the server and Chromium."""
    for item in items:
        if "site" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
        elif item.nodeid.startswith(SIDE_PASS):
            item.add_marker(pytest.mark.side_pass)
    if os.environ.get("JILIANG_TEST_SPLIT") == "1":
        backend = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
        kept, dropped = [], []
        for item in items:
            (kept if _runs_in_this_pass(item, backend) else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept


def uses_database(request) -> bool:
    return bool({"db", "transactional_db", "_django_db_helper", "live_server"} & set(request.fixturenames))


def is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )


def empty_every_table() -> None:
    """Every table of the test database emptied, in the current transaction when there is
    one (rolled back with it: TRUNCATE is transactional on PostgreSQL)."""
    from django.db import connection, transaction

    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    # DELETE, not TRUNCATE: a TRUNCATE of a hundred tables costs PostgreSQL over a second.
    # The rows go in table order; foreign keys are checked at the commit, when none is left
    # (Django makes them deferrable on PostgreSQL; SQLite's pragma lasts the transaction).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("PRAGMA defer_foreign_keys = ON" if connection.vendor == "sqlite" else "SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")


@pytest.fixture(autouse=True)
def isolated_state(request):
    """Each test starts with an empty cache (throttle counters, login failures, cached
    panels) and an empty region-scope cache (region ids differ between test databases).
    The cache and the counters are tables of the database (jiliang.cache), so only tests
    with the database have them (their writes roll back with the test's transaction too)."""
    from django.conf import settings
    from django.core.cache import cache
    from django.utils import translation

    from jiliang.accounts.roles import clear_region_cache
    from jiliang.cache import counters
    from jiliang.federation.policies import forget_federated_view

    with_cache = uses_database(request)
    if with_cache and is_transactional(request):
        # A transactional test starts from an empty database, as it did before the session
        # committed the reference data (django_db_setup below): pytest-django runs these
        # after the others, and flushes after each, so this empties it once.
        from jiliang.registry.models import Region

        if Region.objects.exists():
            empty_every_table()
    if with_cache:
        cache.clear()
        counters().clear()
    clear_region_cache()
    forget_federated_view()
    # Each test starts in the interface's default language: Django's LocaleMiddleware
    # activates a request's language in the thread and never deactivates it, so a test
    # client's English request would otherwise leave the next test speaking English.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    if with_cache:
        cache.clear()
        counters().clear()
    clear_region_cache()


def install_reference_data() -> None:
    from jiliang.registry import reference_data

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())


_TEMPLATE_HOLDERS: list = []  # the restored in-memory database lives while a connection holds it


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database starts as a copy of the migrated template that scripts/test made
    beside lint and types (tests/database_templates.py), when it made one: PostgreSQL copies
    it with CREATE DATABASE … TEMPLATE, SQLite's in-memory database is restored into by
    SQLite's backup. The migrations then find nothing to apply."""
    from django.db import connections

    connection = connections["default"]
    pg_template = os.environ.get("JILIANG_TEST_POSTGRES_TEMPLATE")
    sqlite_template = os.environ.get("JILIANG_TEST_SQLITE_TEMPLATE")
    if connection.vendor == "postgresql" and pg_template:
        connection.settings_dict["TEST"]["TEMPLATE"] = pg_template
    elif connection.vendor == "sqlite" and sqlite_template and os.path.exists(sqlite_template):
        import sqlite3

        from django.db.backends.sqlite3.creation import DatabaseCreation

        create = DatabaseCreation._create_test_db

        def create_from_template(self, verbosity, autoclobber, keepdb=False):
            name = create(self, verbosity, autoclobber, keepdb)
            if self.is_in_memory_db(name) and not _TEMPLATE_HOLDERS:
                holder = sqlite3.connect(name, uri=True, check_same_thread=False)
                source = sqlite3.connect(sqlite_template)
                try:
                    source.backup(holder)
                finally:
                    source.close()
                _TEMPLATE_HOLDERS.append(holder)
            return name

        DatabaseCreation._create_test_db = create_from_template


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the reference data committed once for the session: about
    1.5 s a test when each test installed it inside its own transaction. A transactional
    test flushes every table when it ends; pytest-django runs those after the others, and
    the `reference_data` fixture installs again what a flush removed."""
    with django_db_blocker.unblock():
        install_reference_data()
    yield


@pytest.fixture
def empty_database(request):
    """For a test that counts from the first row (the audit ledger from sequence 1, regions
    it makes itself): no reference data, inside the test's transaction, rolled back with it."""
    if not is_transactional(request):
        request.getfixturevalue("db")
        empty_every_table()


@pytest.fixture
def reference_data(db):
    """Fields, quantities, specifications, the catalog, and the demo province's regions."""
    install_reference_data()


@contextmanager
def rolled_back(django_db_blocker):
    """For a module- or session-scoped fixture that builds rows once (a demo province):
    built inside a transaction rolled back when the fixture ends. Each test then runs in a
    savepoint inside it (the `db` fixture), so tests do not see each other's writes."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)
