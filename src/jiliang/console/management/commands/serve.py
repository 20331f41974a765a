"""`jiliang serve`: the web site (console, public portal and API) under gunicorn.

It lives in the console app: the console is the site the platform's users work in, and the
portal and API are served by the same WSGI application (jiliang.server)."""

from django.core.management.base import BaseCommand

from jiliang.server import add_server_arguments, serve


class Command(BaseCommand):
    help = "serve the web interface and API"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_server_arguments(parser)

    def handle(self, *args, host, port, workers, **options):
        serve(host, port, workers=workers)
