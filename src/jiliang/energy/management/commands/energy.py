"""`jiliang energy …`: key energy users and emitters (重点用能单位, 重点排放单位).

Reads act as the server's operator (every row) unless ``--user`` names a user, whose policy
then applies; closing a month is the bureau's and runs as ``--user`` or as the system job.
"""

from __future__ import annotations

import datetime as dt
import sys

import orjson
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiliang.energy import services
from jiliang.energy.models import KeyUnit, Review
from jiliang.energy.policies import REVIEWS, UNITS
from jiliang.policies import NATIONAL, Actor, actor_for


def _month(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01" if len(text) == 7 else text).replace(day=1)
    except ValueError:
        raise CommandError(f"month: {text!r} is not YYYY-MM") from None


class Command(BaseCommand):
    help = "key energy users: units, the GB 17167 check, closing a month, reviews (能源计量)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username); its role decides what it sees and may do")
        sub = parser.add_subparsers(dest="energy_command", metavar="ACTION", required=True)
        p = sub.add_parser("units", help="list key energy users and emitters")
        p.set_defaults(func=self.units)
        p = sub.add_parser("check", help="a unit's meters against GB 17167-2006: rates, classes, on-time verification, gaps")
        p.add_argument("unit", type=int)
        p.add_argument("--date", type=dt.date.fromisoformat, default=None)
        p.set_defaults(func=self.check)
        p = sub.add_parser("close-month", help="data-quality checks, alerts, energy and CO2 with uncertainty for a month")
        p.add_argument("unit", type=int)
        p.add_argument("month", type=_month, help="YYYY-MM")
        p.add_argument("--output", type=float, default=None, help="the month's output (产品产量) for the intensity check")
        p.set_defaults(func=self.close_month)
        p = sub.add_parser("reviews", help="list reviews (能源计量审查, 碳计量审查)")
        p.set_defaults(func=self.reviews)

    def handle(self, *args, **options):
        self.user = None
        if options.get("user"):
            self.user = get_user_model().objects.filter(username=options["user"]).select_related("membership").first()
            if self.user is None:
                raise CommandError(f"--user: no user {options['user']!r}")
        self.actor = actor_for(self.user) if self.user else Actor(NATIONAL)
        options["func"](options)

    def _out(self, data) -> None:
        sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")

    def _unit(self, pk: int) -> KeyUnit:
        unit = KeyUnit.objects.select_related("organisation").filter(pk=pk).first()
        if unit is None or not UNITS.may_view(self.actor, unit):
            raise CommandError(f"unit: no key energy user {pk} visible to you")
        return unit

    def units(self, options):
        rows = UNITS.visible(self.actor, KeyUnit.objects.select_related("organisation__region"))
        self._out(
            [
                {
                    "id": u.pk,
                    "name": u.organisation.name,
                    "region": u.organisation.region.code,
                    "sector": u.sector,
                    "key_energy_user": u.key_energy_user,
                    "key_emitter": u.key_emitter,
                }
                for u in rows
            ]
        )

    def check(self, options):
        result = services.configuration(self._unit(options["unit"]), options["date"])
        self._out(services.configuration_json(result))

    def close_month(self, options):
        unit = self._unit(options["unit"])
        record = services.close_month(self.user or "system", unit, options["month"], output=options["output"])
        self._out(
            {
                "unit": unit.pk,
                "month": record.month,
                "tce": record.tce,
                "u_tce": record.u_tce,
                "co2_t": record.co2_t,
                "u_co2_t": record.u_co2_t,
                "quality": record.quality,
            }
        )

    def reviews(self, options):
        rows = REVIEWS.visible(self.actor, Review.objects.select_related("unit__organisation"))
        self._out(
            [
                {
                    "id": r.pk,
                    "number": r.number,
                    "kind": r.kind,
                    "unit": r.unit.organisation.name,
                    "status": r.status,
                    "result": r.result,
                    "decided_on": r.decided_on,
                }
                for r in rows
            ]
        )
