"""Signing in and out of the pages (``accounts/login/``, ``accounts/logout/``) for every
role: Django's auth views with CSRF, the shared login throttle, safe ``next`` redirects,
and LOGIN_URL pointing here."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY, get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from jiliang.accounts import throttling
from jiliang.accounts.models import Membership
from jiliang.registry import models as reg

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()  # failure counters live in the cache
    yield
    cache.clear()


@pytest.fixture
def enterprise_user(reference_data):
    from jiliang.core.identifiers import make_credit_code

    region = reg.Region.objects.get(code="330106")
    org = reg.Organisation.objects.create(
        name="西湖加油站", kind="enterprise", region=region, credit_code=make_credit_code("12330106000000001")
    )
    user = get_user_model().objects.create_user("station-clerk", password=PASSWORD)
    Membership.objects.create(user=user, role="enterprise_user", organisation=org)
    return user


def login(client, username, password, next_url=None):
    data = {"username": username, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(reverse("accounts:login"), data)


def test_login_url_is_the_pages_sign_in_for_every_role(client, settings):
    assert reverse(settings.LOGIN_URL) == "/accounts/login/"
    response = client.get(reverse("console:dashboard"))
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/dashboard/"


def test_a_non_staff_user_signs_in_and_lands_on_the_dashboard(client, enterprise_user):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body and "登录" in body
    response = login(client, "station-clerk", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("console:dashboard")
    assert client.session[SESSION_KEY] == str(enterprise_user.pk)
    assert client.get(reverse("console:dashboard")).status_code == 200
    # The admin's login would refuse this user: it is not staff.
    assert not enterprise_user.is_staff


def test_next_is_followed_within_the_site_only(client, enterprise_user):
    response = login(client, "station-clerk", PASSWORD, next_url="/dashboard/due/?kind=overdue")
    assert response["Location"] == "/dashboard/due/?kind=overdue"
    client.logout()
    response = login(Client(), "station-clerk", PASSWORD, next_url="https://evil.example/steal")
    assert response.status_code == 302 and response["Location"] == reverse("console:dashboard")


def test_a_wrong_password_is_refused_with_a_message(client, enterprise_user):
    response = login(client, "station-clerk", "wrong", next_url="/dashboard/")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert response.context["form"].errors["__all__"]
    assert b'role="alert"' in response.content


def test_the_login_throttle_locks_out_even_the_right_password(client, enterprise_user, settings):
    settings.JILIANG_LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        login(client, "station-clerk", "wrong")
    response = login(client, "station-clerk", PASSWORD)
    assert response.status_code == 200 and SESSION_KEY not in client.session
    errors = response.context["form"].non_field_errors()
    assert errors.as_data()[0].code == "locked_out"
    assert "登录失败次数过多" in response.content.decode()
    # In English the message is translated too.
    english = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = english.post(reverse("accounts:login"), {"username": "station-clerk", "password": PASSWORD})
    assert "Too many failed sign-ins" in response.content.decode()
    # Another address is not locked out.
    other = Client(REMOTE_ADDR="10.0.0.9")
    assert login(other, "station-clerk", PASSWORD).status_code == 302
    # The same counter refuses the admin's login and the API's (one throttle for all three).
    assert throttling.is_locked_out("station-clerk", type("R", (), {"META": {"REMOTE_ADDR": "127.0.0.1"}})())


def test_the_login_form_needs_its_csrf_token(enterprise_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "station-clerk", "password": PASSWORD})
    assert response.status_code == 403
    page = client.get(reverse("accounts:login"))
    token = page.cookies["csrftoken"].value
    response = client.post(
        reverse("accounts:login"), {"username": "station-clerk", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_a_signed_in_visitor_of_the_login_page_goes_on(client, enterprise_user):
    client.force_login(enterprise_user)
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 302 and response["Location"] == reverse("console:dashboard")


def test_logout_asks_on_get_and_signs_out_on_post(client, enterprise_user):
    client.force_login(enterprise_user)
    page = client.get(reverse("accounts:logout"))
    assert page.status_code == 200 and SESSION_KEY in client.session  # a link does not sign out
    assert b'method="post"' in page.content
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("registry:home")
    assert SESSION_KEY not in client.session


def test_the_sign_in_page_of_an_instance_that_is_not_a_demo_lists_no_logins(enterprise_user):
    # Users exist, but no demo made them (no demo group in this database): no table, no password.
    page = Client().get(reverse("accounts:login")).content.decode()
    assert 'id="demo-logins"' not in page and "jiliang-demo" not in page
