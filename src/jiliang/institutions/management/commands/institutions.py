"""`jiliang institutions …`: legal metrology institutes and authorised institutions — their
capability profile and evaluation (能力评价), and the registered metrologists of a region.

Reads act as the server's operator (every row) unless ``--user`` names a user, whose policy
then applies; recording an evaluation is the supervising administration's (``--user``)."""

from __future__ import annotations

import sys

import orjson
from django.core.management.base import BaseCommand, CommandError

from jiliang.cli_io import acting_user
from jiliang.institutions import services
from jiliang.registry import models as reg


class Command(BaseCommand):
    help = "legal metrology institutions: list, capability evaluation, registered metrologists (能力评价, 注册计量师)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username); its role decides what it sees and may do")
        sub = parser.add_subparsers(dest="institutions_command", metavar="ACTION", required=True)
        p = sub.add_parser("list", help="the institutions the user sees")
        p.set_defaults(func=self.list)
        p = sub.add_parser("evaluate", help="an institution's capability evaluation: items, gaps, score, result")
        p.add_argument("institution", type=int)
        p.add_argument("--record", action="store_true", help="keep the evaluation (the supervising administration)")
        p.add_argument("--note", default="")
        p.set_defaults(func=self.evaluate)
        p = sub.add_parser("metrologists", help="a region's registered metrologists, counts and target share")
        p.add_argument("region", help="GB/T 2260 region code")
        p.set_defaults(func=self.metrologists)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        options["func"](options)

    def _out(self, doc) -> None:
        sys.stdout.buffer.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")

    def list(self, options):
        self._out(
            [
                {"id": o.pk, "name": o.name, "kind": o.kind, "region": o.region.code}
                for o in services.institutions(self.actor)[:1000]
            ]
        )

    def evaluate(self, options):
        institution = services.institutions(self.actor).filter(pk=options["institution"]).first()
        if institution is None:
            raise CommandError(f"institution: no institution {options['institution']} visible to this user")
        p = services.profile(institution)
        doc = {
            "institution": institution.name,
            "on": p.on,
            "items": [
                {
                    "item": row.item.code,
                    "standards": [s.certificate_number for s in row.standards],
                    "qualified": [person.name for person in row.people],
                    "no_standard": row.no_standard,
                    "few_people": row.few_people,
                }
                for row in p.items
            ],
            "scored": [{k: item[k] for k in ("code", "points", "score", "detail")} for item in p.scored],
            "score": p.score,
            "result": p.result,
        }
        if options["record"]:
            from jiliang.registry.services import Refused

            try:
                evaluation = services.record_evaluation(self.user or self.actor, institution, note=options["note"])
            except Refused as exc:
                raise CommandError(str(exc)) from None
            doc["recorded"] = evaluation.pk
        self._out(doc)

    def metrologists(self, options):
        region = reg.Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"region: no region {options['region']!r}")
        if not self.actor.reads_region_code(region.code):
            raise CommandError(f"region: {region.code} is outside what this user supervises or audits")
        r = services.metrologists(region)
        self._out(
            {
                "region": region.code,
                "on": r["on"],
                "current": len(r["rows"]),
                "this_year": r["this_year"],
                "last_year": r["last_year"],
                "target": r["target"],
                "rows": [
                    {
                        "name": m.person.name,
                        "level": str(m.level),
                        "number": m.number,
                        "institution": m.institution.name if m.institution else None,
                        "valid_until": m.valid_until,
                        "items": [(q.catalog_item.code, q.valid_until) for q in m.items],
                    }
                    for m in r["rows"]
                ],
            }
        )
