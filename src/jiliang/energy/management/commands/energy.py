"""`jiliang energy …`: key energy users and emitters (重点用能单位, 重点排放单位).

Reads act as the server's operator (every row) unless ``--user`` names a user, whose policy
then applies; closing a month is the bureau's and runs as ``--user`` or as the system job.
"""

from __future__ import annotations

import datetime as dt
import sys

import orjson
from django.core.management.base import BaseCommand, CommandError

from jiliang.cli_io import acting_user
from jiliang.energy import services
from jiliang.energy.models import KeyUnit, Review, ReviewFinding
from jiliang.energy.policies import FINDINGS, REVIEWS, UNITS


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
        p = sub.add_parser("review-open", help="open a review of a unit (the bureau)")
        p.add_argument("unit", type=int)
        p.add_argument("--kind", choices=Review.Kind.values, default=Review.Kind.ENERGY)
        p.add_argument("--date", type=dt.date.fromisoformat, default=None)
        p.add_argument("--reviewers", default="")
        p.set_defaults(func=self.review_open)
        p = sub.add_parser("review-record", help="record checklist verdicts: ITEM=yes|no|na[:note] …")
        p.add_argument("review", type=int)
        p.add_argument("items", nargs="+", help="e.g. 6.3=no:电能表超期未检 4.1=yes")
        p.set_defaults(func=self.review_record)
        p = sub.add_parser("review-rectify", help="ask the unit to rectify the findings by a date, or in working days")
        p.add_argument("review", type=int)
        p.add_argument("due", type=dt.date.fromisoformat, nargs="?", default=None, help="YYYY-MM-DD")
        p.add_argument("--working-days", type=int, default=None, help="the period in working days (default: the setting)")
        p.set_defaults(func=self.review_rectify)
        p = sub.add_parser("finding-answer", help="the unit's rectification of a finding")
        p.add_argument("finding", type=int)
        p.add_argument("text")
        p.set_defaults(func=self.finding_answer)
        p = sub.add_parser("review-decide", help="the review's result")
        p.add_argument("review", type=int)
        p.add_argument("result", choices=Review.Result.values)
        p.add_argument("--summary", default="")
        p.set_defaults(func=self.review_decide)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
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

    def _writer(self):
        if self.user is None:
            raise CommandError("--user: a review is written by a user (the bureau's, or the unit's for a rectification)")
        return self.user

    def _review(self, pk: int) -> Review:
        review = REVIEWS.visible(self.actor, Review.objects.select_related("unit__organisation")).filter(pk=pk).first()
        if review is None:
            raise CommandError(f"review: no review {pk} visible to you")
        return review

    def _done(self, review: Review) -> None:
        review.refresh_from_db()
        self._out(
            {
                "id": review.pk,
                "number": review.number,
                "status": review.status,
                "result": review.result,
                "findings": list(review.findings.values("id", "item", "description", "rectified_on")),
            }
        )

    def review_open(self, options):
        review = services.open_review(
            self._writer(),
            self._unit(options["unit"]),
            kind=options["kind"],
            started_on=options["date"],
            reviewers=options["reviewers"],
        )
        self._done(review)

    def review_record(self, options):
        items = {}
        for text in options["items"]:
            code, sep, rest = text.partition("=")
            if not sep:
                raise CommandError(f"items: {text!r} is not ITEM=yes|no|na[:note]")
            verdict, _colon, note = rest.partition(":")
            items[code] = {"verdict": verdict, "note": note}
        self._done(services.record_checklist(self._writer(), self._review(options["review"]), items))

    def review_rectify(self, options):
        review = self._review(options["review"])
        self._done(services.require_rectification(self._writer(), review, options["due"], working_days=options["working_days"]))

    def finding_answer(self, options):
        finding = ReviewFinding.objects.select_related("review__unit__organisation").filter(pk=options["finding"]).first()
        if finding is None or not FINDINGS.may_view(self.actor, finding):
            raise CommandError(f"finding: no finding {options['finding']} visible to you")
        services.rectify(self._writer(), finding, options["text"])
        self._done(finding.review)

    def review_decide(self, options):
        review = self._review(options["review"])
        self._done(services.decide(self._writer(), review, options["result"], summary=options["summary"]))
