"""Accounts: memberships, API tokens (create, list, revoke, expiry) and login throttling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from jiliang.accounts.models import ApiToken, Membership, token_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def user():
    return get_user_model().objects.create_user("li", password=None)


def bearer(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_token_is_stored_hashed_and_shown_once(user):
    row, token = ApiToken.issue(user, "script")
    assert token.startswith(f"jl_{row.prefix}_")
    assert row.digest == token_digest(token) and token not in row.digest
    me = bearer(token).get("/api/me/")
    assert me.status_code == 200 and me.json()["username"] == "li" and me.json()["role"] == "public"
    listed = bearer(token).get("/api/tokens/").json()["results"]
    assert [t["prefix"] for t in listed] == [row.prefix] and "token" not in listed[0] and "digest" not in listed[0]


def test_token_create_list_revoke(user):
    _, token = ApiToken.issue(user, "bootstrap")
    client = bearer(token)
    created = client.post("/api/tokens/", {"name": "nightly import"}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    assert bearer(secret).get("/api/me/").status_code == 200
    assert {t["name"] for t in client.get("/api/tokens/").json()["results"]} == {"bootstrap", "nightly import"}
    assert client.delete(f"/api/tokens/{created.json()['id']}/").status_code == 204
    revoked = bearer(secret).get("/api/me/")
    assert revoked.status_code == 401 and "revoked" in str(revoked.json())
    listed = {t["name"]: t for t in client.get("/api/tokens/").json()["results"]}
    assert listed["nightly import"]["active"] is False and listed["nightly import"]["revoked_at"]


def test_tokens_of_other_users_are_invisible(user):
    other = get_user_model().objects.create_user("wang", password=None)
    theirs, _ = ApiToken.issue(other, "theirs")
    _, mine = ApiToken.issue(user, "mine")
    client = bearer(mine)
    assert [t["name"] for t in client.get("/api/tokens/").json()["results"]] == ["mine"]
    assert client.delete(f"/api/tokens/{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_expired_token_fails(user):
    row, token = ApiToken.issue(user, "short", expires_at=timezone.now() + dt.timedelta(hours=1))
    assert bearer(token).get("/api/me/").status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(token).get("/api/me/")
    assert response.status_code == 401 and "expired" in str(response.json())
    # An expiry in the past is refused at creation.
    _, good = ApiToken.issue(user, "ok")
    response = bearer(good).post("/api/tokens/", {"name": "x", "expires_at": "2000-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 400 and "expires_at" in response.json()


def test_wrong_secret_and_malformed_tokens_fail(user):
    row, token = ApiToken.issue(user, "t")
    assert bearer(token[:-1] + ("A" if token[-1] != "A" else "B")).get("/api/me/").status_code == 401
    assert bearer("not-a-token").get("/api/me/").status_code == 401
    assert bearer(f"jl_{row.prefix}_").get("/api/me/").status_code == 401


def test_last_used_is_recorded(user):
    row, token = ApiToken.issue(user, "t")
    assert row.last_used_at is None
    bearer(token).get("/api/me/")
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_membership_scopes_are_checked(reference_data):
    from jiliang.registry.models import Region

    user = get_user_model().objects.create_user("zhao", password=None)
    admin_without_region = Membership(user=user, role=Membership.Role.REGION_ADMIN)
    with pytest.raises(ValidationError) as info:
        admin_without_region.full_clean()
    assert "region" in info.value.message_dict
    enterprise_verifier = Membership(
        user=user, role=Membership.Role.ENTERPRISE_USER, is_verifier=True, region=Region.objects.get(code="330106")
    )
    with pytest.raises(ValidationError) as info:
        enterprise_verifier.full_clean()
    assert {"organisation", "region", "role"} <= set(info.value.message_dict)


@override_settings(JILIANG_LOGIN_MAX_FAILURES=3)
def test_api_login_locks_out_after_repeated_failures():
    get_user_model().objects.create_user("zhang", password="right password 123")
    client = APIClient(REMOTE_ADDR="10.0.0.7")
    for _ in range(3):
        assert client.post("/api/auth/login/", {"username": "zhang", "password": "wrong"}, format="json").status_code == 400
    # Locked out now, even with the right password; another address is not.
    locked = client.post("/api/auth/login/", {"username": "zhang", "password": "right password 123"}, format="json")
    assert locked.status_code == 429
    other = APIClient(REMOTE_ADDR="10.0.0.8")
    response = other.post("/api/auth/login/", {"username": "zhang", "password": "right password 123"}, format="json")
    assert response.status_code == 200 and response.json()["username"] == "zhang"
    assert other.get("/api/me/").status_code == 200  # a session now


@override_settings(JILIANG_LOGIN_MAX_FAILURES=2)
def test_admin_password_login_is_throttled():
    get_user_model().objects.create_superuser("root", "root@example.org", "right password 123")
    client = APIClient(REMOTE_ADDR="10.0.0.9")
    client.post("/admin/login/", {"username": "root", "password": "wrong"})
    client.post("/admin/login/", {"username": "root", "password": "wrong"})
    response = client.post("/admin/login/", {"username": "root", "password": "right password 123"})
    assert response.status_code == 200 and "too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_successful_login_resets_the_failure_count():
    get_user_model().objects.create_user("sun", password="right password 123")
    client = APIClient(REMOTE_ADDR="10.0.0.10")
    with override_settings(JILIANG_LOGIN_MAX_FAILURES=2):
        client.post("/api/auth/login/", {"username": "sun", "password": "wrong"}, format="json")
        assert (
            client.post("/api/auth/login/", {"username": "sun", "password": "right password 123"}, format="json").status_code
            == 200
        )
        client.post("/api/auth/login/", {"username": "sun", "password": "wrong"}, format="json")
        assert (
            client.post("/api/auth/login/", {"username": "sun", "password": "right password 123"}, format="json").status_code
            == 200
        )
