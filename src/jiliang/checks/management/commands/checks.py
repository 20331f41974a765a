"""`jiliang checks …`: stability and in-service checks of measurement standards (期间核查).

Reads act as the server's operator (every row) unless ``--user`` names a user, whose policy
then applies; writes (a plan, a record, an answer) are the holder's and need ``--user``.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import orjson
from django.core.management.base import BaseCommand, CommandError

from jiliang.checks import services
from jiliang.checks.models import CheckAlert, CheckPlan, CheckRecord
from jiliang.checks.policies import CHECK_ALERTS, CHECK_PLANS
from jiliang.checks.rules import rule_label
from jiliang.cli_io import acting_user
from jiliang.core.control_chart_plot import chart_figure
from jiliang.core.control_charts import RULE_BY_CODE
from jiliang.registry.models import MeasurementStandard


class Command(BaseCommand):
    help = "stability and in-service checks of standards: plans, records, control charts, alerts (期间核查)"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--user", help="act as this user (username); its role and organisation decide what it sees and may do"
        )
        sub = parser.add_subparsers(dest="checks_command", metavar="ACTION", required=True)
        p = sub.add_parser("plans", help="list check plans")
        p.add_argument("--standard", type=int, help="only this standard's plans (id)")
        p.set_defaults(func=self.plans)
        p = sub.add_parser("plan", help="make a check plan for a standard")
        p.add_argument("standard", type=int, help="the standard's id")
        p.add_argument("--item", required=True, help="check parameter and point (核查参数与测量点)")
        p.add_argument("--check-standard", required=True, dest="check_standard", help="the check standard (核查标准)")
        p.add_argument("--chart", choices=[c for c, _ in CheckPlan.Chart.choices], default="x_mr")
        p.add_argument("--subgroup-size", type=int, dest="subgroup_size")
        p.add_argument("--baseline", type=int, default=20, help="limits from the first N points (default 20)")
        p.add_argument("--interval-days", type=int, dest="interval_days", default=30)
        p.add_argument("--unit", default="")
        p.add_argument("--allowed", type=float, help="stability limit: |MPE| or U (k=2) of the correction")
        p.add_argument("--basis", choices=[c for c, _ in CheckPlan.Basis.choices], default="nominal")
        p.add_argument("--repeatability-used", type=float, dest="repeatability_used", help="s used in the uncertainty evaluation")
        p.set_defaults(func=self.plan)
        p = sub.add_parser("record", help="record a check (or a repeatability test) of a plan")
        p.add_argument("plan", type=int)
        p.add_argument("values", nargs="+", type=float, help="the subgroup's values (or the repeatability test's n values)")
        p.add_argument("--date", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default today)")
        p.add_argument("--performer", default="")
        p.add_argument("--note", default="")
        p.add_argument("--repeatability", action="store_true", help="a repeatability test (重复性试验), not a chart point")
        p.set_defaults(func=self.record)
        p = sub.add_parser("chart", help="a plan's control chart: limits, signals with their clauses, evaluations")
        p.add_argument("plan", type=int)
        p.add_argument("--json", action="store_true")
        p.add_argument("--out", help="also draw the chart to OUT.svg or OUT.png")
        p.set_defaults(func=self.chart)
        p = sub.add_parser("alerts", help="list alerts")
        p.add_argument("--status", choices=CheckAlert.Status.values)
        p.set_defaults(func=self.alerts)
        p = sub.add_parser("answer", help="answer an alert (the holder)")
        p.add_argument("alert", type=int)
        p.add_argument("text")
        p.set_defaults(func=self.answer)
        p = sub.add_parser("escalate", help="send alerts unanswered past their days to the supervising bureau")
        p.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None)
        p.set_defaults(func=self.escalate)

    def handle(self, *args, **options):
        self.user, self.actor = acting_user(options.get("user"))
        options["func"](options)

    def _writer(self):
        if self.user is None:
            raise CommandError("--user: a write is made by a user of the standard's holder")
        return self.user

    def _plan(self, pk: int) -> CheckPlan:
        plan = CHECK_PLANS.visible(self.actor, CheckPlan.objects.select_related("standard__holder")).filter(pk=pk).first()
        if plan is None:
            raise CommandError(f"plan: no check plan {pk} that you can see")
        return plan

    def plans(self, options):
        queryset = CHECK_PLANS.visible(self.actor, CheckPlan.objects.select_related("standard"))
        if options["standard"]:
            queryset = queryset.filter(standard_id=options["standard"])
        for plan in queryset.order_by("id")[:1000]:
            self.stdout.write(
                f"{plan.pk}\t{plan.standard.certificate_number}\t{plan.check_item}\t{plan.chart}\t{plan.records.count()} records"
            )

    def plan(self, options):
        user = self._writer()
        standard = MeasurementStandard.objects.select_related("holder").filter(pk=options["standard"]).first()
        if standard is None or not CHECK_PLANS.sees_standard(self.actor, standard):
            raise CommandError(f"standard: no measurement standard {options['standard']} that you can see")
        try:
            plan = services.create_plan(
                user,
                standard,
                check_item=options["item"],
                check_standard=options["check_standard"],
                chart=options["chart"],
                subgroup_size=options["subgroup_size"],
                baseline_points=options["baseline"],
                interval_days=options["interval_days"],
                unit=options["unit"],
                stability_allowed=options["allowed"],
                stability_basis=options["basis"],
                repeatability_used=options["repeatability_used"],
            )
        except services.NotAllowed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"plan {plan.pk}")

    def record(self, options):
        user = self._writer()
        plan = self._plan(options["plan"])
        kind = CheckRecord.Kind.REPEATABILITY if options["repeatability"] else CheckRecord.Kind.CHECK
        try:
            record = services.record_check(
                user,
                plan,
                options["date"] or dt.date.today(),
                options["values"],
                performer=options["performer"],
                note=options["note"],
                kind=kind,
            )
        except services.NotAllowed as exc:
            raise CommandError(str(exc)) from None
        alert = CheckAlert.objects.filter(record=record).first()
        line = f"record {record.pk}"
        if alert is not None:
            line += (
                f"; OUT OF CONTROL: alert {alert.pk} (" + ", ".join(f"{c} {RULE_BY_CODE[c].clause}" for c in alert.rules) + ")"
            )
        self.stdout.write(line)

    def chart(self, options):
        plan = self._plan(options["plan"])
        found = services.chart_of(plan)
        if found is None:
            raise CommandError(f"plan {plan.pk}: fewer than two checks, no chart yet")
        chart, records = found
        if options["out"]:
            fmt = Path(options["out"]).suffix.lower().lstrip(".")
            Path(options["out"]).write_bytes(
                chart_figure(chart, [r.performed_on.isoformat() for r in records], fmt=fmt, title=plan.check_item)
            )
        if options["json"]:
            document = {**chart.as_dict(), "dates": [r.performed_on.isoformat() for r in records]}
            sys.stdout.buffer.write(orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
            sys.stdout.flush()
            return
        loc, disp = chart.location_limits, chart.dispersion_limits
        basis = f"first {chart.baseline} points" if chart.baseline else "standard values"
        self.stdout.write(f"plan {plan.pk} {plan.check_item} — {plan.chart}, limits from {basis}")
        self.stdout.write(f"location:   CL {loc.centre:.6g}  LCL {loc.lower:.6g}  UCL {loc.upper:.6g}")
        self.stdout.write(f"dispersion: CL {disp.centre:.6g}  LCL {disp.lower:.6g}  UCL {disp.upper:.6g}")
        if not chart.signals:
            self.stdout.write("in control: no test for special causes fired")
        for sig in chart.signals:
            self.stdout.write(
                f"point {sig.index + 1} {records[sig.index].performed_on} {sig.chart}: {sig.rule} {rule_label(sig.rule)} [{sig.clause}]"
            )
        found = services.evaluations(plan)
        if found.repeatability:
            r = found.repeatability
            self.stdout.write(
                f"repeatability {found.repeatability_on}: n={r.n} s={r.s:.6g} used={r.used_in_uncertainty} conforms={r.conforms} [{r.clause}]"
            )
        if found.stability:
            st = found.stability
            self.stdout.write(f"stability ({st.method}): {st.value} allowed={st.allowed} conforms={st.conforms} [{st.clause}]")

    def alerts(self, options):
        queryset = CHECK_ALERTS.visible(self.actor, CheckAlert.objects.select_related("plan__standard"))
        if options["status"]:
            queryset = queryset.filter(status=options["status"])
        for alert in queryset.order_by("-raised_on", "-id")[:1000]:
            self.stdout.write(
                f"{alert.pk}\t{alert.raised_on}\t{alert.status}\t{alert.plan.standard.certificate_number}\t{alert.plan.check_item}\t{','.join(alert.rules)}"
            )

    def answer(self, options):
        user = self._writer()
        alert = (
            CHECK_ALERTS.visible(self.actor, CheckAlert.objects.select_related("plan__standard"))
            .filter(pk=options["alert"])
            .first()
        )
        if alert is None:
            raise CommandError(f"alert: no alert {options['alert']} that you can see")
        try:
            services.answer_alert(user, alert, options["text"])
        except services.NotAllowed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"alert {alert.pk} answered")

    def escalate(self, options):
        self.stdout.write(f"escalated {services.escalate_overdue(options['as_of'])} alerts")
