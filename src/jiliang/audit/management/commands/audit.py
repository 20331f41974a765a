"""`manage.py audit verify|checkpoint`: the same as `jiliang audit …` (jiliang.audit.cli)."""

from django.core.management.base import BaseCommand

from jiliang.audit import cli as audit_cli


class Command(BaseCommand):
    help = "Verify the hash-chained audit ledger and the live rows, or export a checkpoint."

    def add_arguments(self, parser):
        # The subcommands of `jiliang audit`, registered on this command's parser.
        sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
        holder = _Holder(sub)
        audit_cli.register(holder)

    def handle(self, *args, **options):
        code = options["func"](_Namespace(options))
        if code:
            raise SystemExit(code)


class _Holder:
    """Lets `register` add its `audit` parser's subcommands directly under this command."""

    def __init__(self, sub):
        self.sub = sub

    def add_parser(self, name, **kwargs):
        return _Flat(self.sub)


class _Flat:
    def __init__(self, sub):
        self.sub = sub

    def add_subparsers(self, **kwargs):
        return self.sub


class _Namespace:
    def __init__(self, options):
        self.__dict__.update(options)
