"""`jiliang inspections …`: the target and inspector lists (检查对象名录库, 执法检查人员名录库),
declared conflicts (回避) and campaigns (专项检查). Writes act as ``--user`` (a region
administrator); reads show what that user's policy shows (every row without ``--user``).
Draws are `jiliang draw …`."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiliang.inspections import services
from jiliang.inspections.models import Draw, Inspector, TargetKind
from jiliang.inspections.policies import INSPECTORS
from jiliang.policies import NATIONAL, Actor, actor_for
from jiliang.registry.models import Organisation, Region


class Command(BaseCommand):
    help = "random-inspection lists, conflicts of interest and campaigns (双随机、专项检查)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username)")
        sub = parser.add_subparsers(dest="inspections_command", metavar="ACTION", required=True)
        p = sub.add_parser("sync-targets", help="list a region's targets from the registry")
        p.add_argument("region", help="GB/T 2260 code")
        p.set_defaults(func=self.sync_targets)
        p = sub.add_parser("targets", help="count a region's listed targets per kind")
        p.add_argument("region")
        p.set_defaults(func=self.targets)
        p = sub.add_parser("inspectors", help="the officers of a region, with their declared ties")
        p.add_argument("region")
        p.set_defaults(func=self.inspectors)
        p = sub.add_parser("add-inspector", help="put an enforcement officer on the list")
        p.add_argument("region")
        p.add_argument("name")
        p.add_argument("certificate", help="执法证号")
        p.add_argument("--valid-until", type=dt.date.fromisoformat, required=True, dest="valid_until")
        p.add_argument("--kinds", required=True, help=f"comma-separated: {', '.join(TargetKind.values)}")
        p.add_argument("--account", help="the officer's user name (for the list of the day)")
        p.set_defaults(func=self.add_inspector)
        p = sub.add_parser("tie", help="declare an officer's tie to an organisation (回避)")
        p.add_argument("certificate", help="the officer's 执法证号")
        p.add_argument("credit_code", help="the organisation's 统一社会信用代码")
        p.add_argument("kind", choices=["employment", "former_employment", "relative", "shareholding"])
        p.add_argument("--ended-on", type=dt.date.fromisoformat, dest="ended_on", help="end of a former employment")
        p.add_argument("--note", default="")
        p.set_defaults(func=self.tie)
        p = sub.add_parser("campaign", help="open a campaign (专项检查), optionally on a published draw")
        p.add_argument("region")
        p.add_argument("kind", choices=TargetKind.values)
        p.add_argument("title")
        p.add_argument("--starts", type=dt.date.fromisoformat, required=True)
        p.add_argument("--ends", type=dt.date.fromisoformat, required=True)
        p.add_argument("--draw", type=int, help="the published draw whose targets it inspects")
        p.set_defaults(func=self.campaign)

    def handle(self, *args, **options):
        options["func"](options)

    def _who(self, options, write: bool = False):
        name = options.get("user")
        if not name:
            if write:
                raise CommandError("--user is required to write (a region administrator)")
            return Actor(NATIONAL)
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no user named {name!r}")
        return user

    def _region(self, code):
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise CommandError(f"no region {code!r}")
        return region

    def sync_targets(self, options):
        added = services.sync_targets(self._who(options, write=True), self._region(options["region"]))
        self.stdout.write(", ".join(f"{kind}: +{n}" for kind, n in added.items()))

    def targets(self, options):
        region = self._region(options["region"])
        for kind in TargetKind:
            self.stdout.write(f"{kind.value}\t{services.population(region, kind.value).count()}")

    def inspectors(self, options):
        who = self._who(options)
        actor = who if isinstance(who, Actor) else actor_for(who)
        region = self._region(options["region"])
        rows = INSPECTORS.visible(actor, Inspector.objects.filter(region__code__startswith=region.descendant_codes_prefix()))
        today = dt.date.today()
        for inspector in rows.order_by("pk"):
            ties = services.excluded_targets([inspector.pk], today)[inspector.pk]
            self.stdout.write(
                f"{inspector.certificate_number}\t{inspector.name}\tvalid until {inspector.certificate_valid_until}"
                f"\t{','.join(inspector.kinds)}\texcluded from {len(ties)} organisation(s)"
            )

    def add_inspector(self, options):
        account = None
        if options.get("account"):
            account = get_user_model().objects.filter(username=options["account"]).first()
            if account is None:
                raise CommandError(f"no user named {options['account']!r}")
        inspector = services.register_inspector(
            self._who(options, write=True),
            self._region(options["region"]),
            options["name"],
            options["certificate"],
            options["valid_until"],
            [k.strip() for k in options["kinds"].split(",") if k.strip()],
            user=account,
        )
        self.stdout.write(f"inspector {inspector.pk}: {inspector.name} ({inspector.certificate_number})")

    def tie(self, options):
        inspector = Inspector.objects.filter(certificate_number=options["certificate"]).first()
        organisation = Organisation.objects.filter(credit_code=options["credit_code"].upper()).first()
        if inspector is None or organisation is None:
            raise CommandError("no such officer (执法证号) or organisation (统一社会信用代码)")
        tie = services.declare_tie(
            self._who(options, write=True), inspector, organisation, options["kind"], options["ended_on"], options["note"]
        )
        self.stdout.write(f"tie {tie.pk}: {inspector.name} is excluded from {organisation.name}")

    def campaign(self, options):
        draw = Draw.objects.filter(pk=options["draw"]).first() if options.get("draw") else None
        campaign = services.create_campaign(
            self._who(options, write=True),
            self._region(options["region"]),
            options["kind"],
            options["title"],
            options["starts"],
            options["ends"],
            draw=draw,
        )
        self.stdout.write(f"campaign {campaign.pk} open: {campaign.title}")
