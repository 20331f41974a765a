"""Login hardening (issue 16, item 7): throttle counters shared by every server process,
counted per address and per username as well as per pair; CSRF on the API login; and
production settings that pass ``check --deploy``."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.test import APIClient

SRC = Path(__file__).resolve().parents[2] / "src"
PASSWORD = "right password 123"


def run_python(code: str, data_dir: Path, **env) -> subprocess.CompletedProcess:
    environ = {
        **os.environ,
        "PYTHONPATH": str(SRC),
        "JILIANG_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "jiliang.settings",
        **env,
    }
    environ.pop("DATABASE_URL", None)  # a fresh SQLite database in data_dir
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environ, capture_output=True, text=True, timeout=120)


FAIL_FROM_ONE_PROCESS = """
    import sys, django
    django.setup()
    from django.conf import settings
    from jiliang.accounts import throttling
    from jiliang.instance import prepare

    prepare()  # as `jiliang migrate` does: the key, the cache's and the counters' tables
    settings.JILIANG_LOGIN_MAX_FAILURES = 5
    request = type("Request", (), {"META": {"REMOTE_ADDR": "10.1.2.3"}})()
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3):
        throttling.record_failure("zhang", request)
    print("locked" if throttling.is_locked_out("zhang", request) else "open")
"""


def redis_url() -> str | None:
    try:
        import redis

        redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except Exception:
        return None
    return "redis://127.0.0.1:6379/15"


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_two_server_processes_share_the_failure_count(tmp_path, backend):
    """Three failures in one process and three in another lock the pair out at five: a
    per-process cache would let each of N workers allow the full count."""
    env = {}
    if backend == "redis":
        url = redis_url()
        if url is None:
            pytest.skip("no Redis at 127.0.0.1:6379")
        env = {"JILIANG_CACHE_URL": url, "JILIANG_CACHE_PREFIX": f"test-{secrets.token_hex(4)}"}
    first = run_python(FAIL_FROM_ONE_PROCESS, tmp_path, **env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "open"
    second = run_python(FAIL_FROM_ONE_PROCESS, tmp_path, **env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "locked"


def test_importing_the_settings_writes_no_file(tmp_path):
    # Importing the settings and starting Django leave the data folder empty; `jiliang
    # migrate`'s step (instance.prepare) then writes the key, owner-only, and uses it.
    result = run_python(
        """
        import os, sys, django
        django.setup()
        from django.conf import settings
        assert os.listdir(settings.DATA_DIR) == [], os.listdir(settings.DATA_DIR)
        from jiliang.instance import prepare
        prepare()
        print(settings.SECRET_KEY)
    """,
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600 and len(key_file.read_text().strip()) >= 50
    assert result.stdout.strip() == key_file.read_text().strip()
    # A later process reads it back.
    result = run_python("import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)", tmp_path)
    assert result.stdout.strip() == key_file.read_text().strip()


def test_production_settings_pass_check_deploy(tmp_path):
    production = {"SECRET_KEY": secrets.token_urlsafe(50), "JILIANG_HTTPS": "1", "JILIANG_ALLOWED_HOSTS": "jiliang.example.org"}
    result = run_python(
        "from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['django-admin', 'check', '--deploy', '--fail-level', 'WARNING'])",
        tmp_path,
        **production,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.django_db
@override_settings(JILIANG_LOGIN_MAX_FAILURES_PER_ADDRESS=4)
def test_spraying_many_usernames_from_one_address_is_throttled():
    get_user_model().objects.create_user("victim", password=PASSWORD)
    sprayer = APIClient(REMOTE_ADDR="10.0.0.66")
    for n in range(4):
        response = sprayer.post("/api/auth/login/", {"username": f"user{n}", "password": "123456"}, format="json")
        assert response.status_code == 400
    # The address is locked for every username, even with the right password…
    response = sprayer.post("/api/auth/login/", {"username": "victim", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    # …another address is not.
    response = APIClient(REMOTE_ADDR="10.0.0.67").post(
        "/api/auth/login/", {"username": "victim", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200


@pytest.mark.django_db
@override_settings(JILIANG_LOGIN_MAX_FAILURES_PER_USERNAME=4)
def test_guessing_one_username_from_many_addresses_is_throttled():
    get_user_model().objects.create_user("victim", password=PASSWORD)
    for n in range(4):
        response = APIClient(REMOTE_ADDR=f"10.0.1.{n}").post(
            "/api/auth/login/", {"username": "victim", "password": "guess"}, format="json"
        )
        assert response.status_code == 400
    response = APIClient(REMOTE_ADDR="10.0.1.200").post(
        "/api/auth/login/", {"username": "victim", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 429


@pytest.mark.django_db
@override_settings(JILIANG_LOGIN_MAX_FAILURES_PER_ADDRESS=3)
def test_the_address_counts_the_client_behind_a_trusted_proxy():
    get_user_model().objects.create_user("victim", password=PASSWORD)
    from rest_framework.settings import api_settings

    with override_settings(REST_FRAMEWORK={**__import__("django.conf").conf.settings.REST_FRAMEWORK, "NUM_PROXIES": 1}):
        api_settings.reload()
        try:
            for n in range(3):
                APIClient(REMOTE_ADDR="192.168.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").post(
                    "/api/auth/login/", {"username": f"u{n}", "password": "x"}, format="json"
                )
            behind_same_proxy = APIClient(REMOTE_ADDR="192.168.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
            assert (
                behind_same_proxy.post(
                    "/api/auth/login/", {"username": "victim", "password": PASSWORD}, format="json"
                ).status_code
                == 200
            )
            sprayer = APIClient(REMOTE_ADDR="192.168.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
            assert (
                sprayer.post("/api/auth/login/", {"username": "victim", "password": PASSWORD}, format="json").status_code == 429
            )
        finally:
            api_settings.reload()


@pytest.mark.django_db
def test_api_login_needs_a_csrf_token():
    get_user_model().objects.create_user("li", password=PASSWORD)
    client = APIClient(enforce_csrf_checks=True)
    forged = client.post("/api/auth/login/", {"username": "li", "password": PASSWORD}, format="json")
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert "_auth_user_id" not in client.session
    token = client.get("/api/auth/login/").json()["csrf_token"]
    assert client.cookies["csrftoken"].value
    response = client.post("/api/auth/login/", {"username": "li", "password": PASSWORD}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json()["username"] == "li"
    assert client.get("/api/me/").json()["username"] == "li"


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_anonymous_rate(monkeypatch):
    from jiliang.accounts.throttling import AnonWindowThrottle

    monkeypatch.setattr(AnonWindowThrottle, "rate", "3/minute", raising=False)
    answers = [
        APIClient(REMOTE_ADDR="10.0.9.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").get("/api/regions/").status_code
        for n in range(5)
    ]
    assert answers == [200, 200, 200, 429, 429]
