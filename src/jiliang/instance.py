"""The files of one Jiliang instance in its data folder (``JILIANG_DATA_DIR``), made by an
explicit step, never by importing the settings: ``jiliang migrate`` (and ``jiliang demo``,
and the test database's creation, which both migrate) writes the secret key, the static
folder and the cache's tables; the settings only read them."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

SECRET_KEY_FILE = "secret_key"


def read_secret_key(data_dir: Path, environ=os.environ) -> str:
    """``SECRET_KEY`` from the environment, else the data folder's key file, else "" (Django
    then refuses to sign anything, and ``check --deploy`` says so: run ``jiliang migrate``)."""
    if environ.get("SECRET_KEY"):
        return environ["SECRET_KEY"]
    key_file = data_dir / SECRET_KEY_FILE
    return key_file.read_text().strip() if key_file.exists() else ""


def write_secret_key(data_dir: Path) -> str:
    """The data folder's key, generated once with owner-only permissions. Written to a
    private temporary file first and linked into place, so two processes migrating at once
    never read a half-written key: the second link fails and it reads the first's."""
    key_file = data_dir / SECRET_KEY_FILE
    if key_file.exists():
        return key_file.read_text().strip()
    fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".secret_key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return key_file.read_text().strip()


def prepare(using: str = "default", **_signal) -> None:
    """Creates what the instance needs beside its schema (run after each migrate): the
    secret key (unless the environment gives one; this process uses it from now on), the
    static folder WhiteNoise serves from, and the tables of the shared cache and counters."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command

    from jiliang.cache import DatabaseCounters

    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("SECRET_KEY"):
        key = write_secret_key(data_dir)
        try:
            settings.SECRET_KEY  # noqa: B018 - raises when empty
        except ImproperlyConfigured:
            settings.SECRET_KEY = key
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    call_command("createcachetable", database=using, verbosity=0)
    DatabaseCounters.create_table(using)
