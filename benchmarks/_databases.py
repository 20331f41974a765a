"""Shared plumbing of the database benchmarks: a fresh PostgreSQL database per benchmark,
and one worker process per database so that each reports its own peak memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

PG_ADMIN_URL = os.environ.get("JILIANG_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")


def fresh_postgres(name: str) -> str | None:
    """Drop and create database `name`; its URL, or None (said on stdout) when unreachable."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}")
    except Exception as exc:  # no server here: the SQLite figures still stand
        print(f"skipped: PostgreSQL not reachable at {PG_ADMIN_URL} ({exc.__class__.__name__})")
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://") + f"/{name}"


def run_workers(script: str, databases: list[str], pg_name: str, extra_args: list[str]) -> list[dict]:
    """Run `script --worker URL …` once per database in a temporary data folder; collect
    the JSON line each worker prints last."""
    results = []
    with tempfile.TemporaryDirectory() as data_dir:
        env = dict(os.environ, JILIANG_DATA_DIR=data_dir)
        for name in databases:
            url = f"sqlite:///{data_dir}/bench.sqlite3" if name == "sqlite" else fresh_postgres(pg_name)
            if url is None:
                continue
            out = subprocess.run([sys.executable, script, "--worker", url, *extra_args], env=env, capture_output=True, text=True)
            if out.returncode:
                sys.stderr.write(out.stderr[-3000:])
                raise SystemExit(f"{name} worker failed (exit {out.returncode})")
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return results
