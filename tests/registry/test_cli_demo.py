"""`jiliang demo` end to end: a fresh data folder, migrate, generate, serve, print the logins."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_demo(data_dir, check) -> str:
    """Start `jiliang demo` on a free port, call check(port) once it answers, stop it."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["JILIANG_DATA_DIR"] = str(data_dir)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "jiliang.cli", "demo", "--instruments", "1000", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = None
        while time.monotonic() - started < 90 and status != 200:
            if proc.poll() is not None:
                pytest.fail(f"demo exited: {proc.stdout.read()}")
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2).status
            except OSError:
                time.sleep(0.3)
        assert status == 200
        check(port)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in output
    # The logins table: every role's login with the demo password.
    for login in ("admin", "province-admin", "county-admin", "inspector", "institute", "enterprise", "public"):
        assert re.search(rf"│ {login}\s+│ jiliang-demo", output), login
    return output


@pytest.mark.slow
def test_demo_serves_a_fresh_province_and_keeps_it(tmp_path):
    data = tmp_path / "data"

    def pages(port):
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
        # The demo's records are being planted beside the server meanwhile: a generous timeout.
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/api/schema/", timeout=30).status == 200
        login = urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=30).read().decode()
        assert 'id="demo-logins"' in login and "province-admin" in login

    first = _run_demo(data, pages)
    assert "Generating the demo province" in first
    assert (data / "jiliang.sqlite3").exists() and (data / "secret_key").exists()
    key = (data / "secret_key").read_text()
    # A second start finds the province: no new generation, the same secret key.
    second = _run_demo(data, pages)
    assert "Generating" not in second
    assert (data / "secret_key").read_text() == key


def test_cli_errors_are_one_line(tmp_path, capsys):
    from jiliang.cli import main

    assert main(["import", str(tmp_path / "missing.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jiliang: error:") and "Traceback" not in err and len(err.strip().splitlines()) == 1
