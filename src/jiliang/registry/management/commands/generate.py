"""`jiliang generate`: the synthetic demo province (jiliang.registry.demo)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from jiliang.registry import demo


class Command(BaseCommand):
    help = "generate a synthetic province (deterministic for a seed and as-of date)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--instruments", type=int, default=100_000, help="number of working instruments (10^3 to 10^7)")
        parser.add_argument("--seed", type=int, default=2035, help="random seed; the same seed gives the same province")
        parser.add_argument(
            "--as-of", dest="as_of", type=dt.date.fromisoformat, default=None, help="the province's 'today' (YYYY-MM-DD)"
        )
        parser.add_argument("--replace", action="store_true", help="delete the registry first if it is not empty")
        parser.add_argument("--quiet", "--no-progress", dest="progress", action="store_false", help="no progress bar")

    def handle(self, *args, instruments, seed, as_of=None, replace=False, progress=True, **options):
        if replace and not demo.registry_is_empty():
            demo.clear_registry()
        try:
            report = demo.generate(instruments=instruments, seed=seed, as_of=as_of, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"generated {report.instruments:,} instruments, {report.standard_devices:,} standard devices, "
            f"{report.standards:,} standards, {report.organisations:,} organisations, {report.events:,} events"
        )
