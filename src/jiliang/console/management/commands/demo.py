"""`jiliang demo`: create, fill and serve the demo province (jiliang.registry.demo), with a
user for every role (demo_roles) and the records of every capability (demo_activity)."""

import os

from django.core.management.base import BaseCommand

from jiliang.accounts.demo_logins import demo_logins, print_logins
from jiliang.console import demo_activity, demo_roles
from jiliang.registry.demo import prepare_demo
from jiliang.server import add_server_arguments, serve


class Command(BaseCommand):
    help = "create, fill and serve the demo province"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_server_arguments(parser)
        parser.add_argument("--instruments", type=int, default=100_000, help="size of the demo province (default 100000)")
        parser.add_argument("--seed", type=int, default=2035)

    def handle(self, *args, host, port, workers, instruments, seed, **options):
        report = prepare_demo(instruments=instruments, seed=seed)
        # A user for every role now; the records of every capability in a process beside the server.
        demo_roles.create_demo_users()
        demo_activity.start_in_background(report.defects.out_of_tolerance_standard if report else "")
        self.stdout.write(f"Jiliang demo province is ready: http://{host}:{port}/")
        self.stdout.flush()
        print_logins(demo_logins())  # also on the sign-in page of this demo
        master = os.getpid()
        try:
            serve(host, port, workers=workers)
        finally:
            if os.getpid() == master:  # not in a forked server worker unwinding its stack
                demo_activity.stop_background()
