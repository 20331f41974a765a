"""Serving the WSGI application with gunicorn (the production server) from the CLI."""

from __future__ import annotations

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


def serve(host: str, port: int, workers: int = 2) -> None:
    _Server({
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "threads": 4,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "timeout": 120,
        "preload_app": True,
    }).run()
