"""Migrated test databases, made once by scripts/test while lint and types run.

Running every migration costs about 13 s of CPU, nearly all of it Django rendering the
model states of some sixty migrations (squashing them does not help: a fresh set of initial
migrations measured the same). A test run needs a migrated database five to seven times
(each pass's test database, the browser tests' server, the fault tests' worker database),
so scripts/test makes two templates first and the passes copy them:

- ``SQLITE``: a file holding the migrated schema and the reference data; the SQLite test
  database (in memory) is restored from it (tests/conftest.py), as is the browser tests'
  server database (tests/web/site_setup.py);
- a PostgreSQL database that the PostgreSQL pass names as ``TEST["TEMPLATE"]``, so its test
  database is a file copy made by ``CREATE DATABASE … TEMPLATE``.

Django's ``migrate`` still runs on each copy: with nothing to apply it costs about 2 s.

    python tests/database_templates.py FOLDER [POSTGRES_URL TEMPLATE_NAME]
    python tests/database_templates.py --drop POSTGRES_URL TEMPLATE_NAME
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SQLITE = "migrated.sqlite3"

BUILD = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from tests.conftest import install_reference_data
install_reference_data()
"""


def _build(env: dict) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jiliang.settings", "PYTHONPATH": str(REPO), **env}
    subprocess.run([sys.executable, "-c", BUILD], env=env, cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def sqlite_template(folder: Path) -> Path:
    """The migrated database, written by SQLite's backup into one self-contained file (the
    data folder's database runs in WAL mode; the copy needs no -wal file beside it)."""
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    _build({"JILIANG_DATA_DIR": str(work), "DATABASE_URL": ""})
    target = folder / SQLITE
    source, copy = sqlite3.connect(work / "jiliang.sqlite3"), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target


def _admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


def _database_url(url: str, name: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + name


def postgres_template(url: str, name: str, folder: Path) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    _build({"JILIANG_DATA_DIR": str(folder), "DATABASE_URL": _database_url(url, name)})


def drop_postgres_template(url: str, name: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--drop":
        drop_postgres_template(args[1], args[2])
        sys.exit(0)
    folder = Path(args[0])
    if len(args) == 3:  # both at once, one per core
        pid = os.fork()
        if pid == 0:
            try:
                postgres_template(args[1], args[2], folder / "postgres")
            except BaseException:
                os._exit(1)
            os._exit(0)
        sqlite_template(folder)
        _, status = os.waitpid(pid, 0)
        sys.exit(0 if status == 0 else 1)
    sqlite_template(folder)
