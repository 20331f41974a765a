"""Benchmark-only WSGI entry: the production site plus the baselines of bench_api.py. Not
part of the application.

Baselines, each the best a competent user of the tool would write for the same endpoint
(same rows, same JSON fields, same token authentication and shared rate counter as
the project's API):

- ``/bench/constant/``: a bare Django view returning a constant (the floor of the stack);
- ``/bench/drf/instruments/``, ``/bench/drf/events/`` (+ ``<id>/``): plain DRF generic
  views, ModelSerializer with the project's field lists, cursor pagination on ``id``,
  ``prefetch_related`` for the events' standards, no policy and no filters;
- ``/bench/values/instruments/``, ``/bench/values/events/`` (+ ``<id>/``): hand-written
  Django views: DRF's token authentication, then ``values()`` of the same columns, one
  query (``ARRAY_AGG`` for the standards), ``orjson.dumps``; cursor = last id.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiliang.settings")

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.postgres.aggregates import ArrayAgg  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import Http404, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import generics, pagination, permissions, serializers  # noqa: E402
from rest_framework.exceptions import AuthenticationFailed  # noqa: E402

from jiliang.accounts.authentication import ApiTokenAuthentication  # noqa: E402
from jiliang.accounts.throttling import UserWindowThrottle  # noqa: E402
from jiliang.registry import models  # noqa: E402
from jiliang.registry.api import serializers as project_serializers  # noqa: E402
from jiliang.urls import urlpatterns as site_urlpatterns  # noqa: E402


def constant(request):
    return HttpResponse(b'{"ok": true}', content_type="application/json")


# ---------------------------------------------------------------- plain DRF


class CursorById(pagination.CursorPagination):
    ordering = "id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class PlainInstrumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Instrument
        fields = project_serializers.InstrumentSerializer.Meta.fields


class PlainEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.CalibrationEvent
        fields = project_serializers.CalibrationEventSerializer.Meta.fields


class DrfView:
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = CursorById
    filter_backends: list = []


class DrfInstruments(DrfView, generics.ListAPIView):
    queryset = models.Instrument.objects.all()
    serializer_class = PlainInstrumentSerializer


class DrfInstrument(DrfView, generics.RetrieveAPIView):
    queryset = models.Instrument.objects.all()
    serializer_class = PlainInstrumentSerializer


class DrfEvents(DrfView, generics.ListAPIView):
    queryset = models.CalibrationEvent.objects.prefetch_related("standards_used")
    serializer_class = PlainEventSerializer


class DrfEvent(DrfView, generics.RetrieveAPIView):
    queryset = models.CalibrationEvent.objects.prefetch_related("standards_used")
    serializer_class = PlainEventSerializer


# ---------------------------------------------------------------- values() + orjson


def _columns(model, fields) -> list[str]:
    """values() names giving the API's keys (a foreign key's name gives its id)."""
    return [name for name in fields if not model._meta.get_field(name).many_to_many]


INSTRUMENT_COLUMNS = _columns(models.Instrument, PlainInstrumentSerializer.Meta.fields)
EVENT_COLUMNS = _columns(models.CalibrationEvent, PlainEventSerializer.Meta.fields)
_token = ApiTokenAuthentication()


def _authenticated(request) -> bool:
    """The project's token, then its shared per-user rate counter: the same two costs
    every API request pays (the DRF baselines get both from the default settings)."""
    try:
        found = _token.authenticate(request)
    except AuthenticationFailed:
        return False
    if found is None:
        return False
    request.user = found[0]
    return UserWindowThrottle().allow_request(request, None)


def _rows(queryset, columns, request, many: bool, pk=None):
    if not _authenticated(request):
        return HttpResponse(b'{"detail": "not authenticated"}', status=401, content_type="application/json")
    events = connection.vendor == "postgresql" and queryset.model is models.CalibrationEvent
    # The name the API uses is the relation's: aggregate under another, rename.
    extra = {"standards": ArrayAgg("standards_used__id", default=[])} if events else {}
    queryset = queryset.values(*columns, **extra)
    if not many:
        row = queryset.filter(pk=pk).first()
        if row is None:
            raise Http404
        if events:
            row["standards_used"] = row.pop("standards")
        return HttpResponse(orjson.dumps(row), content_type="application/json")
    size = min(int(request.GET.get("page_size", 50)), 500)
    after = int(request.GET.get("after", 0))
    page = list(queryset.filter(pk__gt=after).order_by("pk")[:size])
    if events:
        for row in page:
            row["standards_used"] = row.pop("standards")
    following = f"?after={page[-1]['id']}&page_size={size}" if len(page) == size else None
    return HttpResponse(orjson.dumps({"next": following, "results": page}), content_type="application/json")


def values_instruments(request):
    return _rows(models.Instrument.objects.all(), INSTRUMENT_COLUMNS, request, True)


def values_instrument(request, pk):
    return _rows(models.Instrument.objects.all(), INSTRUMENT_COLUMNS, request, False, pk)


def values_events(request):
    return _rows(models.CalibrationEvent.objects.all(), EVENT_COLUMNS, request, True)


def values_event(request, pk):
    return _rows(models.CalibrationEvent.objects.all(), EVENT_COLUMNS, request, False, pk)


urlpatterns = [
    path("bench/constant/", constant),
    path("bench/drf/instruments/", DrfInstruments.as_view()),
    path("bench/drf/instruments/<int:pk>/", DrfInstrument.as_view()),
    path("bench/drf/events/", DrfEvents.as_view()),
    path("bench/drf/events/<int:pk>/", DrfEvent.as_view()),
    path("bench/values/instruments/", values_instruments),
    path("bench/values/instruments/<int:pk>/", values_instrument),
    path("bench/values/events/", values_events),
    path("bench/values/events/<int:pk>/", values_event),
    *site_urlpatterns,
]
settings.ROOT_URLCONF = __name__
application = get_wsgi_application()
