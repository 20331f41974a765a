"""`jiliang draw …`: verifiable random draws (双随机, docs/draws.md).

``verify PLAN.json`` needs no database: it recomputes the draw from the file and prints
"match" (exit 0) or each difference (exit 1). ``publish`` and ``perform`` act as ``--user``
(a region administrator); ``export`` writes a draw's PLAN.json.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import orjson
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiliang.core import draws as core
from jiliang.core.errors import InputError


class Command(BaseCommand):
    help = "verifiable random draws of inspection targets and inspectors (双随机): publish, perform, verify, export"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username): a region administrator")
        sub = parser.add_subparsers(dest="draw_command", metavar="ACTION", required=True)
        p = sub.add_parser("verify", help="recompute a PLAN.json and compare (prints 'match' or the differences)")
        p.add_argument("file", type=Path)
        p.set_defaults(func=self.verify)
        p = sub.add_parser("publish", help="publish a draw plan and its commitment")
        p.add_argument("--region", required=True, help="GB/T 2260 code of the drawing administration")
        p.add_argument("--kind", required=True, help="target kind (fuel_station, optician, market, …)")
        p.add_argument("--title", required=True)
        p.add_argument("--due", type=dt.date.fromisoformat, required=True, help="planned draw date YYYY-MM-DD")
        p.add_argument("--sample", help='JSON grade → count or rate, e.g. \'{"A": "0.02", "D": 5}\'')
        p.add_argument("--per-target", type=int, default=2, dest="per_target", help="inspectors per target (default 2)")
        p.set_defaults(func=self.publish)
        p = sub.add_parser("perform", help="reveal the seed and draw")
        p.add_argument("draw", type=int)
        p.add_argument("--external", default="", help="an external public value fixed after publication (lottery result)")
        p.set_defaults(func=self.perform)
        p = sub.add_parser("export", help="write a draw's PLAN.json to stdout")
        p.add_argument("draw", type=int)
        p.set_defaults(func=self.export)

    def handle(self, *args, **options):
        options["func"](options)

    def _user(self, options):
        name = options.get("user")
        if not name:
            raise CommandError("--user is required to write (a region administrator)")
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no user named {name!r}")
        return user

    def verify(self, options):
        path: Path = options["file"]
        try:
            document = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise InputError("", str(exc), code="file_bad_json", line=getattr(exc, "lineno", "?"), msg=str(exc)).located(
                file=str(path)
            ) from None
        try:
            differences = core.verify(document)
        except InputError as exc:
            raise exc.located(file=str(path)) from None
        if differences:
            for line in differences:
                self.stdout.write(line)
            sys.stdout.flush()
            raise SystemExit(1)
        self.stdout.write("match")

    def publish(self, options):
        from jiliang.inspections import services
        from jiliang.registry.models import Region

        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"no region {options['region']!r}")
        sample = orjson.loads(options["sample"]) if options.get("sample") else None
        draw = services.publish_draw(
            self._user(options), region, options["kind"], options["title"], options["due"], sample, options["per_target"]
        )
        self.stdout.write(f"draw {draw.pk} published: commitment {draw.commitment} ({len(draw.plan['population'])} targets)")

    def perform(self, options):
        from jiliang.inspections import services
        from jiliang.inspections.models import Draw

        draw = Draw.objects.filter(pk=options["draw"]).first()
        if draw is None:
            raise CommandError(f"no draw {options['draw']}")
        draw = services.perform_draw(self._user(options), draw, options["external"])
        self.stdout.write(f"draw {draw.pk} performed: {len(draw.result)} targets drawn; public value {draw.public_value}")

    def export(self, options):
        from jiliang.inspections.models import Draw

        draw = Draw.objects.filter(pk=options["draw"]).first()
        if draw is None:
            raise CommandError(f"no draw {options['draw']}")
        self.stdout.write(orjson.dumps(draw.document(), option=orjson.OPT_INDENT_2).decode())
