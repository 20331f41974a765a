"""A live Jiliang server and a headless Chromium for the browser tests.

The server is the real one (`jiliang serve`, gunicorn) in its own process, on a free
loopback port, over its own SQLite data folder filled by ``site_setup.py`` with a small
demo province: the tests' own Django database is never involved, so the browser sees
exactly what a person would. Chromium is Debian's (scripts/install-system-packages.sh);
Playwright drives it through its executable path and never downloads a browser.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_INSTRUMENTS = 2000
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}  # the page language → the browser's Accept-Language


@dataclass
class Site:
    url: str
    data: dict

    def at(self, path: str) -> str:
        return self.url + path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JILIANG_DEBUG")}
    env.update(
        JILIANG_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="jiliang.settings",
        SECRET_KEY="browser-tests-only",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The running server with its demo province, users and sample records."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent (scripts/install-system-packages.sh installs it)")
    data_dir = tmp_path_factory.mktemp("site")
    env = _server_env(data_dir)
    setup = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("site_setup.py")), str(DEMO_INSTRUMENTS)],
        env=env,
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert setup.returncode == 0, f"site setup failed:\n{setup.stderr[-3000:]}"
    data = json.loads(setup.stdout.strip().splitlines()[-1])

    port = _free_port()
    log = open(data_dir / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jiliang.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        cwd=data_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"the server did not start:\n{(data_dir / 'server.log').read_text()[-3000:]}")
            time.sleep(0.2)
        yield Site(url, data)
    finally:
        # The server's own process group (gunicorn master and its worker), by its id.
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture(scope="session")
def browser(site):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (a test dependency)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, site):
    """A page in a fresh context: ``new_page(lang="en", viewport="phone", role=None)``.

    ``role`` signs the context in as that role's user (a session made by site_setup.py)."""
    contexts = []

    def make(lang: str = "zh-hans", viewport: str = "desktop", role: str | None = None):
        context = browser.new_context(
            locale=LOCALES[lang],
            viewport=VIEWPORTS[viewport],
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
        )
        context.set_default_timeout(15_000)
        if role is not None:
            context.add_cookies([{"name": "sessionid", "value": site.data["roles"][role]["session"], "url": site.url}])
        contexts.append(context)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker, tmp_path_factory):
    """The small province of tests/web/province.py in the tests' own database, built once
    per module inside a transaction rolled back at the module's end."""
    from django.core.cache import cache
    from django.db import transaction
    from django.test import override_settings

    from jiliang.accounts.roles import clear_region_cache

    from .province import build

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        with transaction.atomic():
            cache.clear()
            clear_region_cache()
            yield build(instruments=1000)
            transaction.set_rollback(True)
        cache.clear()
        clear_region_cache()
