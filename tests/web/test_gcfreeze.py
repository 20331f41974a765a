"""The server process freezes its warmed-up objects once, after the configured number of
requests, and never when the setting is 0."""

import gc

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from jiliang.gcfreeze import FreezeAfterWarmupMiddleware


@pytest.mark.parametrize("after, requests, freezes", [(3, 2, 0), (3, 3, 1), (3, 10, 1), (0, 10, 0)])
def test_freezes_once_after_warmup(settings, monkeypatch, after, requests, freezes):
    settings.JILIANG_GC_FREEZE_AFTER = after
    calls = []
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    middleware = FreezeAfterWarmupMiddleware(lambda request: HttpResponse(b"ok"))
    request = RequestFactory().get("/")
    for _ in range(requests):
        assert middleware(request).content == b"ok"
    assert calls == ["collect", "freeze"] * freezes
