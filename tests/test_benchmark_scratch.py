"""The benchmarks drop only the databases they created in the same run (issue 20:
"a benchmark must only ever drop what it created in the same run")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _databases as scratch  # noqa: E402

pytestmark = pytest.mark.skipif(not scratch.postgres_reachable(), reason="PostgreSQL not reachable")


def _exists(name: str) -> bool:
    with scratch._connect(scratch.PG_ADMIN_URL) as admin:
        return admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_a_scratch_database_is_unique_marked_and_dropped_by_its_run():
    with scratch.scratch_postgres("selftest") as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("jiliang_bench_selftest_") and _exists(name)
        # Another process (no token here) and a database without this run's marker are refused.
        token = scratch._created.pop(name)
        with pytest.raises(scratch.ScratchError, match="did not create"):
            scratch.drop_scratch(name)
        scratch._created[name] = "not-the-token"
        with pytest.raises(scratch.ScratchError, match="marker"):
            scratch.drop_scratch(name)
        scratch._created[name] = token
        assert scratch.reused(name) == url  # kept databases carry the marker
    assert not _exists(name)


def test_names_outside_the_benchmarks_are_never_dropped_or_reused():
    scratch._created["postgres"] = "x"
    try:
        with pytest.raises(scratch.ScratchError):
            scratch.drop_scratch("postgres")
    finally:
        del scratch._created["postgres"]
    with pytest.raises(scratch.ScratchError, match="not a benchmark database"):
        scratch.reused("postgres")
    assert _exists("postgres")
