"""The CSP middleware that builds its headers once gives django-csp's own headers, follows
a change of the settings, and leaves a response a view's decorator changed to django-csp."""

from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from jiliang.cspcache import CachedPolicyMiddleware


def respond(response=None):
    middleware = CachedPolicyMiddleware(lambda request: response or HttpResponse("ok"))
    return middleware(RequestFactory().get("/api/instruments/"))


def test_same_header_as_django_csp_and_follows_settings():
    assert respond()["Content-Security-Policy"] == build_policy()
    assert "script-src 'self'" in respond()["Content-Security-Policy"]
    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
        assert respond()["Content-Security-Policy"] == "default-src 'none'"
    assert respond()["Content-Security-Policy"] == build_policy()


def test_a_view_override_is_built_by_django_csp():
    response = HttpResponse("ok")
    response._csp_replace = {"img-src": ["https://example.org"]}
    assert "img-src https://example.org" in respond(response)["Content-Security-Policy"]
    exempt = HttpResponse("ok")
    exempt._csp_exempt = True
    assert "Content-Security-Policy" not in respond(exempt)
