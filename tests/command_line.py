"""Running a `jiliang` command in a test with its errors raised, not reported as one line."""

from django.core.management import call_command


def run_command(*argv: str) -> int:
    """The management command argv[0] with the rest as its arguments: the exit code it asks for, else 0."""
    try:
        call_command(*argv)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        raise
    return 0
