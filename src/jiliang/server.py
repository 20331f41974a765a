"""Serving the WSGI application with gunicorn (the production server) from the CLI.

Each request is written to the access log (stdout by default; ``JILIANG_ACCESS_LOG`` names
a file, or "off"): client, request line, status, bytes, time in ms, user agent. The
application's own log (settings.LOGGING) goes to stderr.
"""

from __future__ import annotations

import os

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from jiliang.wsgi import application

        return application


DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def add_server_arguments(parser) -> None:
    """The options of every command that serves the site (serve, demo)."""
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")


ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'


def access_log() -> str | None:
    target = os.environ.get("JILIANG_ACCESS_LOG", "-")
    return None if target.lower() in ("", "off", "none", "0") else target


def serve(host: str, port: int, workers: int = 2) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": max(1, workers),
            "threads": 4,
            "accesslog": access_log(),
            "access_log_format": ACCESS_LOG_FORMAT,
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 120,
            "preload_app": True,
        }
    ).run()
