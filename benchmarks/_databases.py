"""Shared plumbing of the database benchmarks: scratch PostgreSQL databases that a run
creates and drops itself, and one worker process per database so that each reports its
own peak memory.

A benchmark never drops a database it did not create. Every scratch database gets a
unique name (``jiliang_bench_<kind>_<random>``) and a marker table holding a token that
only the creating process knows; ``drop_scratch`` drops a database only when it finds
that token there. A database kept for reuse (``--keep``) carries the marker too, and a
later run that reuses it (``--reuse NAME``) checks the marker exists and never drops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator

PG_ADMIN_URL = os.environ.get("JILIANG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
MARKER_TABLE = "jiliang_bench_scratch"
_SAFE_NAME = re.compile(r"^jiliang_bench_[a-z0-9_]+$")

# name → token of the scratch databases this process created (and so may drop)
_created: dict[str, str] = {}


class ScratchError(RuntimeError):
    pass


def database_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{name}"


def postgres_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # no server here: the SQLite figures still stand
        print(f"skipped: PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__})")
        return False
    return True


def _connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True, connect_timeout=5)


def create_scratch(kind: str) -> str:
    """Create a new database for this run; its name. Fails rather than reuse a name."""
    name = f"jiliang_bench_{re.sub(r'[^a-z0-9]+', '_', kind.lower())}_{secrets.token_hex(4)}"
    token = secrets.token_hex(16)
    with _connect(PG_ADMIN_URL) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # no IF NOT EXISTS: a clash must fail
    with _connect(database_url(name)) as conn:
        conn.execute(
            f"CREATE TABLE {MARKER_TABLE} (token text NOT NULL, pid integer NOT NULL, created_at timestamptz DEFAULT now())"
        )
        conn.execute(f"INSERT INTO {MARKER_TABLE} (token, pid) VALUES (%s, %s)", [token, os.getpid()])
    _created[name] = token
    return name


def drop_scratch(name: str) -> None:
    """Drop a database this process created, after checking its marker holds our token."""
    token = _created.get(name)
    if token is None or not _SAFE_NAME.match(name):
        raise ScratchError(f"refusing to drop {name!r}: this run did not create it")
    with _connect(database_url(name)) as conn:
        found = conn.execute(f"SELECT token FROM {MARKER_TABLE}").fetchone()
    if found is None or found[0] != token:
        raise ScratchError(f"refusing to drop {name!r}: its marker is not this run's")
    with _connect(PG_ADMIN_URL) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    del _created[name]


def reused(name: str) -> str:
    """The URL of a database kept by an earlier run (``--keep``); refused unless it carries
    the benchmarks' marker table. A reused database is never dropped by this run."""
    if not _SAFE_NAME.match(name):
        raise ScratchError(f"{name!r} is not a benchmark database (names start with jiliang_bench_)")
    url = database_url(name)
    with _connect(url) as conn:
        marked = conn.execute("SELECT to_regclass(%s) IS NOT NULL", [MARKER_TABLE]).fetchone()[0]
    if not marked:
        raise ScratchError(f"{name!r} has no {MARKER_TABLE} table: not made by a benchmark, not reused")
    return url


@contextlib.contextmanager
def scratch_postgres(kind: str, *, keep: bool = False, reuse: str | None = None) -> Iterator[str | None]:
    """A database URL for the length of the block: ``reuse`` (kept earlier, not dropped), or
    a new scratch database dropped at the end unless ``keep``. None when PostgreSQL is not
    reachable (said on stdout)."""
    if reuse:
        yield reused(reuse)
        return
    if not postgres_reachable():
        yield None
        return
    name = create_scratch(kind)
    try:
        yield database_url(name)
    finally:
        if keep:
            _created.pop(name, None)
            print(f"kept database {name} (reuse it with --reuse {name}; drop it yourself when done)")
        else:
            drop_scratch(name)


def run_workers(script: str, databases: list[str], kind: str, extra_args: list[str]) -> list[dict]:
    """Run `script --worker URL …` once per database in a temporary data folder (PostgreSQL:
    a scratch database of its own, dropped after); collect the JSON line each worker prints
    last."""
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(os.environ, JILIANG_DATA_DIR=data_dir)
        for name in databases:
            with contextlib.ExitStack() as stack:
                if name == "sqlite":
                    url = f"sqlite:///{data_dir}/bench.sqlite3"
                else:
                    url = stack.enter_context(scratch_postgres(kind))
                if url is None:
                    continue
                out = subprocess.run(
                    [sys.executable, script, "--worker", url, *extra_args], env=env, capture_output=True, text=True
                )
                if out.returncode:
                    sys.stderr.write(out.stderr[-3000:])
                    raise SystemExit(f"{name} worker failed (exit {out.returncode})")
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results
