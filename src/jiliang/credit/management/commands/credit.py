"""`jiliang credit …`: credit records (信用分级分类监管).

    jiliang credit grade [--on DATE] [--no-collect]     collect the evidence, grade every organisation
    jiliang credit rules show [--version N] [--json]    the rule set in force (or a version), as a table
    jiliang credit rules set FILE --from DATE [--note]  publish a new version applying from DATE
    jiliang credit record ORGANISATION                  one organisation's record (id or credit code)
    jiliang credit summary [--by region|sector]         current grades by region or sector

Acts as the server's operator (a national administrator) unless ``--user`` names a user,
whose policy then applies.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from jiliang.cli_io import acting_user, read_text, reading
from jiliang.core.errors import InputError
from jiliang.credit import rules, services
from jiliang.credit.policies import CREDIT
from jiliang.registry.models import Organisation


class Command(BaseCommand):
    help = "credit records: collect evidence, grade, the published rule set, records and summaries (信用分级分类监管)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--user", help="act as this user (username)")
        sub = parser.add_subparsers(dest="credit_command", metavar="ACTION", required=True)
        p = sub.add_parser("grade", help="collect the evidence from every source and grade every organisation")
        p.add_argument("--on", type=dt.date.fromisoformat, default=None, help="grade as of YYYY-MM-DD (default today)")
        p.add_argument("--no-collect", action="store_true", dest="no_collect", help="grade the evidence already collected")
        p.set_defaults(func=self.grade)
        p = sub.add_parser("rules", help="show or set the rule set")
        rsub = p.add_subparsers(dest="rules_command", metavar="show|set", required=True)
        q = rsub.add_parser("show", help="the rule set in force (or --version N)")
        q.add_argument("--version", type=int)
        q.add_argument("--json", action="store_true", help="the JSON document (what `rules set` reads)")
        q.set_defaults(func=self.rules_show)
        q = rsub.add_parser("set", help="publish a new rule-set version from a JSON file")
        q.add_argument("file", help="the rule set (JSON, as `rules show --json` prints it); '-' for standard input")
        q.add_argument("--from", dest="effective_from", required=True, help="applies from YYYY-MM-DD (today or later)")
        q.add_argument("--note", default="", help="what changed and why (kept in the audit ledger)")
        q.set_defaults(func=self.rules_set)
        p = sub.add_parser("record", help="one organisation's credit record")
        p.add_argument("organisation", help="id or unified social credit code")
        p.set_defaults(func=self.record)
        p = sub.add_parser("summary", help="current grades by region or sector")
        p.add_argument("--by", choices=("region", "sector"), default="region")
        p.set_defaults(func=self.summary)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        try:
            options["func"](options)
        except services.NotAllowed as exc:
            raise CommandError(str(exc)) from None

    def grade(self, options):
        if not CREDIT.sees_dashboard(self.actor):
            raise CommandError("grading is the supervising administrators' job")
        if not options["no_collect"]:
            counts = services.collect()
            self.stdout.write("collected: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
        on = options["on"]
        written = services.grade_all(on, who=self.user)
        self.stdout.write(f"graded on {on or 'today'}: {written} grade change(s) written")

    def rules_show(self, options):
        rs = services.rule_set(options["version"]) if options["version"] else services.rule_set_on()
        if rs is None:
            raise CommandError(f"--version: no rule-set version {options['version']}")
        if options["json"]:
            self.stdout.write(json.dumps(rules.to_document(rs), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{rs.name_zh} / {rs.name_en}  v{rs.version}, from {rs.effective_from}")
        self.stdout.write(f"base score {rs.base_score:g}; no evidence: {rs.default_grade}")
        for g in rs.grades:
            floor = f"score >= {g.min_score:g}" if g.min_score is not None else "below"
            self.stdout.write(f"  {g.code}  {floor:<14} {g.label_zh} / {g.label_en}")
        self.stdout.write(f"  {'kind':<24} {'weight':>6} {'counts':>7} {'repair':>7} cap  basis")
        for k in rs.kinds.values():
            repair = f"{k.repair_after_days}d" if k.repair_after_days is not None else "—"
            self.stdout.write(
                f"  {k.kind:<24} {k.weight:>6g} {k.window_days:>6}d {repair:>7} {k.cap or '—':<4} {k.label_zh}; {k.basis}"
            )

    def rules_set(self, options):
        path = options["file"]
        with reading(path):
            text = read_text(path)
            try:
                document = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError("", exc.msg, code="file_bad_json", line=exc.lineno, msg=exc.msg) from None
            row = services.set_rules(
                self.user or self.actor, document, rules.date_of(options["effective_from"], "--from"), options["note"]
            )
        self.stdout.write(f"rule set v{row.version} applies from {row.effective_from}")

    def record(self, options):
        key = options["organisation"]
        orgs = CREDIT.visible_organisations(self.actor, Organisation.objects.all())
        org = (orgs.filter(pk=int(key)) if key.isdigit() else orgs.filter(credit_code=key.upper())).first()
        if org is None:
            raise CommandError(f"organisation: no organisation {key!r} whose record you can see")
        record = services.record_of(org)
        current = record["current"]
        result = record["result"]
        self.stdout.write(f"{org.name} ({org.credit_code})")
        self.stdout.write(
            f"grade: {current.grade if current else record['rules'].default_grade}"
            f"{f' since {current.graded_on} (rules v{current.rule_version})' if current else ' (never graded: default)'}; "
            f"today's evidence gives {result.grade} (score {result.score:g})"
        )
        for p in record["pieces"]:
            piece, rule = p["piece"], p["rule"]
            state = "counts" if p["counts"] else (p["excluded"] or "lapsed")
            weight = f"{rule.weight:+g}" if rule else "0"
            self.stdout.write(f"  {piece.occurred_on} {piece.kind:<24} {piece.reference:<20} {weight:>5} {state}")
        for g in record["history"]:
            self.stdout.write(
                f"  history {g.graded_on}: {g.previous or '—'} → {g.grade} (score {g.score:g}, rules v{g.rule_version})"
            )

    def summary(self, options):
        if not CREDIT.sees_dashboard(self.actor):
            raise CommandError("the summary is for supervising administrators and auditors")
        data = services.summary(self.actor, options["by"])
        codes = data["rules"].codes
        self.stdout.write(f"{options['by']:<28} " + " ".join(f"{c:>8}" for c in codes) + f" {'total':>8}")
        for row in data["rows"]:
            self.stdout.write(
                f"{row['key'] + ' ' + row['name']:<28} " + " ".join(f"{n:>8}" for n in row["counts"]) + f" {row['total']:>8}"
            )
