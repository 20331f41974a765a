"""Benchmark-only WSGI entry: the production site plus a bare Django view returning a
constant (the baseline of bench_api.py). Not part of the application."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

from jiliang.urls import urlpatterns as site_urlpatterns  # noqa: E402


def constant(request):
    return HttpResponse(b'{"ok": true}', content_type="application/json")


urlpatterns = [path("bench/constant/", constant), *site_urlpatterns]
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
