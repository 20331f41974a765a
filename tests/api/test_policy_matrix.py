"""Reads generated from the policies: for every routed registry table, every role and every
row, the API's detail and the registry page answer as the table's policy says — 200 when
``visible`` holds the row, otherwise 404 (401 / a sign-in for a private table's anonymous
visitor) — so pages and API agree row by row (issue 16, item 2; issue 24, item 1).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import NoReverseMatch, reverse

from jiliang.accounts.roles import ANONYMOUS, PUBLIC, actor_for
from jiliang.registry.api.urls import router
from jiliang.registry.views import URL_NAMES

from .conftest import ROLES

pytestmark = pytest.mark.django_db


def page_client(world, role) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def expected_read(policy, actor, obj) -> tuple[int, ...]:
    if not policy.public and actor.kind == ANONYMOUS:
        return (401,)
    return (200,) if policy.visible(actor, type(obj)._default_manager.filter(pk=obj.pk)).exists() else (404,)


def expected_page(policy, actor, obj) -> tuple[int, ...]:
    if not policy.public and actor.kind == ANONYMOUS:
        return (302,)  # to the sign-in page
    if not policy.public and actor.kind == PUBLIC:
        return (403,)
    return (200,) if policy.visible(actor, type(obj)._default_manager.filter(pk=obj.pk)).exists() else (404,)


@pytest.mark.parametrize("role", ROLES)
def test_api_details_and_pages_answer_as_the_policies_say(world, role):
    api = world.client(role)
    pages = page_client(world, role)
    actor = actor_for(world.users.get(role))
    mismatches = []
    checked = 0
    for prefix, viewset, _ in router.registry:
        policy, model = viewset.policy, viewset.queryset.model
        cache.clear()  # the anonymous request rate is throttled: each table starts afresh
        rows = model.objects.order_by("pk")
        for obj in rows if policy.scoped else rows[:5]:  # every owned row; a sample of reference data
            response = api.get(f"/api/{prefix}/{obj.pk}/")
            if response.status_code not in expected_read(policy, actor, obj):
                mismatches.append(
                    f"API {prefix}/{obj.pk}: {response.status_code}, policy says {expected_read(policy, actor, obj)}"
                )
            entry = URL_NAMES.get(model)
            if entry is None:
                continue
            name, attribute = entry
            try:
                url = reverse(name, args=[getattr(obj, attribute)])
            except NoReverseMatch:
                continue
            status = pages.get(url).status_code
            if status not in expected_page(policy, actor, obj):
                mismatches.append(f"page {url}: {status}, policy says {expected_page(policy, actor, obj)}")
            checked += 1
    assert checked > 20
    assert not mismatches, "\n".join(mismatches)
