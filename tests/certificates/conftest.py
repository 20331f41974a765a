"""A demo province with the platform CA, built once per module (inside a transaction
rolled back at the module's end; each test runs in a savepoint inside it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.db.models import Count

from jiliang.certificates import keys
from jiliang.registry import demo
from jiliang.registry import models as reg

AS_OF = dt.date(2026, 6, 30)


@dataclass
class Province:
    """Events to certify: ``working`` (a verification of a working instrument, calibrated
    with a standard whose device has its own calibration ``upstream``)."""

    working: reg.CalibrationEvent
    upstream: reg.CalibrationEvent
    other: reg.CalibrationEvent  # another verification by the same institution

    def signers(self, event):
        people = list(reg.Person.objects.filter(organisation=event.performer).order_by("id")[:3])
        return [(people[0], "verifier"), (people[1], "checker"), (people[2 % len(people)], "approver")]


def _pick() -> Province:
    orgs_with_people = set(
        reg.Person.objects.values("organisation").annotate(n=Count("id")).filter(n__gte=2).values_list("organisation", flat=True)
    )
    links = (
        # A legal metrology institute's certificate (the grid's authorised station has a name
        # longer than a certificate's subject allows, and the demo gives it the latest meters).
        reg.EventStandard.objects.filter(
            event__kind="verification",
            event__passed=True,
            event__performer__in=orgs_with_people,
            event__performer__kind=reg.Organisation.Kind.LEGAL_INSTITUTE,
        )
        .select_related("event", "standard")
        .order_by("-event__performed_on", "event_id")
    )
    for link in links[:500]:
        event = link.event
        for device in link.standard.devices.all():
            upstream = (
                reg.CalibrationEvent.objects.filter(
                    instrument=device, performed_on__lte=event.performed_on, performer__in=orgs_with_people
                )
                .order_by("-performed_on")
                .first()
            )
            if upstream is None:
                continue
            other = (
                reg.CalibrationEvent.objects.filter(performer=event.performer, kind="verification")
                .exclude(pk=event.pk)
                .order_by("id")
                .first()
            )
            return Province(event, upstream, other)
    raise AssertionError("the demo province has no verification whose standard's device was calibrated")


@pytest.fixture(scope="package")  # one province for the package: each test runs in a savepoint inside it
def province(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            demo.generate(instruments=2000, seed=5, as_of=AS_OF)
            keys.init_authority()
            yield _pick()
            transaction.set_rollback(True)
