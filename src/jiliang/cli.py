"""The `jiliang` command.

Django-backed commands (demo, serve, migrate, generate, import, export, …) wrap the
management commands of the apps; pure-core tools (uncertainty, comparison, dcc, prepack)
live in ``jiliang.commands`` and are discovered here. Errors are one line, not a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

DEMO_HOST = "127.0.0.1"
DEMO_PORT = 8000


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")
    import django

    django.setup()


def _call(name: str, *args, **options) -> int:
    _setup_django()
    from django.core.management import call_command

    call_command(name, *args, **options)
    return 0


def _cmd_migrate(args) -> int:
    return _call("migrate", interactive=False, verbosity=args.verbosity)


def _cmd_generate(args) -> int:
    return _call("generate", instruments=args.instruments, seed=args.seed, replace=args.replace, progress=not args.quiet)


def _cmd_import(args) -> int:
    return _call("import_registry", *args.files, table=args.table, format=args.format)


def _cmd_export(args) -> int:
    return _call("export_registry", args.directory, format=args.format, tables=args.tables)


def _cmd_serve(args) -> int:
    _setup_django()
    from jiliang.server import serve

    serve(args.host, args.port, workers=args.workers)
    return 0


def _cmd_demo(args) -> int:
    _setup_django()
    from jiliang.registry.demo import prepare_demo
    from jiliang.server import serve

    logins = prepare_demo(instruments=args.instruments, seed=args.seed)
    url = f"http://{args.host}:{args.port}/"
    print(f"Jiliang demo province is ready: {url}")
    for role, (username, password) in logins.items():
        print(f"  {role:<14} {username} / {password}")
    sys.stdout.flush()
    serve(args.host, args.port, workers=args.workers)
    return 0


def _cmd_manage(args) -> int:
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jiliang manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jiliang", description="Jiliang (计量): run a measurement system.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def server_options(p):
        p.add_argument("--host", default=DEMO_HOST, help=f"address to listen on (default {DEMO_HOST})")
        p.add_argument("--port", type=int, default=DEMO_PORT, help=f"port (default {DEMO_PORT})")
        p.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")

    p = sub.add_parser("demo", help="create, fill and serve the demo province")
    server_options(p)
    p.add_argument("--instruments", type=int, default=100_000, help="size of the demo province (default 100000)")
    p.add_argument("--seed", type=int, default=2035)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("serve", help="serve the web interface and API")
    server_options(p)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("migrate", help="create or upgrade the database")
    p.add_argument("--verbosity", type=int, default=1)
    p.set_defaults(func=_cmd_migrate)

    p = sub.add_parser("generate", help="generate a synthetic province")
    p.add_argument("--instruments", type=int, default=100_000, help="number of working instruments (10^3 to 10^7)")
    p.add_argument("--seed", type=int, default=2035, help="random seed; the same seed gives the same province")
    p.add_argument("--replace", action="store_true", help="delete the registry first if it is not empty")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("import", help="import registry files (CSV, JSON Lines, XLSX), all or nothing")
    p.add_argument("files", nargs="+", help="files or a directory written by `jiliang export`")
    p.add_argument("--table", help="the table of a single file when its name does not say it")
    p.add_argument("--format", choices=["csv", "jsonl", "xlsx"], help="format when the file extension does not say it")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("export", help="export the registry")
    p.add_argument("directory", help="folder to write one file per table into (an .xlsx path writes one workbook)")
    p.add_argument("--format", choices=["csv", "jsonl", "xlsx"], default="csv")
    p.add_argument("--tables", nargs="*", help="only these tables")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("manage", help="run a Django management command", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_manage)

    import jiliang.commands

    for module_info in pkgutil.iter_modules(jiliang.commands.__path__):
        module = importlib.import_module(f"jiliang.commands.{module_info.name}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `jiliang … | head`: the reader left, nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # one clear line for the operator, never a traceback
        from jiliang.errors import describe

        message = describe(exc)
        if message is None:
            raise
        print(f"jiliang: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
