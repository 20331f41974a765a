"""The `jiliang` command: a thin dispatcher over the project's Django management commands.

``jiliang NAME ARGS…`` sets up Django and runs the management command NAME (each lives in the
app that owns it, under ``<app>/management/commands/``); ``import`` and ``export`` are the short
names of ``import_registry`` and ``export_registry``; ``jiliang manage …`` reaches any Django
command. Errors are one line (jiliang.errors.describe), not a traceback.
"""

from __future__ import annotations

import os
import sys

import django
from django.core.management import execute_from_command_line, get_commands, load_command_class
from django.core.management.base import handle_default_options

from jiliang.errors import describe
from jiliang.messages import cli_language, django_language, gettext_noop, translate

ALIASES = {"import": "import_registry", "export": "export_registry"}


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    django.setup()


def project_commands() -> dict[str, str]:
    """The project's own commands (name → app module), as `jiliang --help` lists them."""
    return {name: app for name, app in sorted(get_commands().items()) if app.startswith("jiliang.")}


def print_help(file=None) -> None:
    file = file or sys.stdout
    shown = {target: alias for alias, target in ALIASES.items()}
    lines = [
        "usage: jiliang COMMAND [ARGS…]   (jiliang COMMAND --help for its options)",
        "",
        "Jiliang (计量): run a measurement system.",
        "",
    ]
    commands = project_commands()
    rows = [
        (shown.get(name, name), (load_command_class(app, name).help or "").strip().splitlines()) for name, app in commands.items()
    ]
    rows.append(("migrate", ["create or upgrade the database"]))
    rows.append(("manage", ["run any Django management command (jiliang manage help lists them)"]))
    width = max(len(name) for name, _ in rows)
    lines.append("commands:")
    lines.extend(f"  {name:<{width}}  {(help_lines or [''])[0]}" for name, help_lines in sorted(rows))
    print("\n".join(lines), file=file)


def _run(argv: list[str]) -> None:
    name, rest = argv[0], argv[1:]
    if name == "manage":
        execute_from_command_line(["jiliang manage", *rest])
        return
    name = ALIASES.get(name, name)
    commands = {**project_commands(), "migrate": "django.core"}
    if name not in commands:
        unknown = translate(gettext_noop("未知命令 %(name)s（jiliang --help 列出全部命令）"), cli_language())
        print("jiliang: error: " + unknown % {"name": repr(argv[0])}, file=sys.stderr)
        raise SystemExit(2)
    command = load_command_class(commands[name], name)
    if name == "migrate":  # unattended, as `jiliang migrate` always was (scripts, CI, the demo)
        rest = ["--noinput", *rest]
    # run_from_argv without its two side effects: it turns a CommandError into "CommandError: …"
    # and exit 1 (main() reports every error the same way: one line, exit 2), and it closes
    # every database connection when done (a caller in the same process, such as a test
    # inside a transaction, keeps its connection).
    command._called_from_command_line = True  # bad arguments: usage and exit 2, as run_from_argv does
    parser = command.create_parser("jiliang", argv[0])
    parsed = parser.parse_args(rest)
    handle_default_options(parsed)
    options = vars(parsed)
    command.execute(*options.pop("args", ()), **options)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        _setup_django()
        print_help(sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    try:
        _setup_django()
        from django.utils import translation

        # Every command speaks the operator's language (JILIANG_LANG, LANG …; English when
        # unset): a refusal is worded when it is raised, so the language is active throughout.
        with translation.override(django_language(cli_language())):
            _run(argv)
        return 0
    except SystemExit as exc:  # a command's exit code (verify: 1 on tampering, argparse: 2)
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        raise
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `jiliang … | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # one clear line for the operator, never a traceback
        message = describe(exc)
        if message is None:
            raise
        print(f"jiliang: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
