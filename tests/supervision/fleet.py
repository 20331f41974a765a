"""Build a small registry with telemetry devices (for the fixture and for the subprocess
workers of the fault tests, which use a database file of their own)."""

from __future__ import annotations


def build(per_kind: int = 8):
    from jiliang.supervision.telemetry.fleet import build_fleet

    return build_fleet(per_kind)


if __name__ == "__main__":  # python -m tests.supervision.fleet [--no-migrate]  (with DATABASE_URL set): migrate and build
    import os
    import sys

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()
    from django.core.management import call_command

    if "--no-migrate" not in sys.argv:
        call_command("migrate", verbosity=0)
    build()
