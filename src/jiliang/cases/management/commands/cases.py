"""`jiliang cases …`: enforcement cases (行政处罚案件): the open cases by deadline, one case,
opening a clue (from an alert, a complaint or directly), taking a step, adding evidence, the
reminders (cron) and the published penalties.

Reads act as the server's operator (every case) unless ``--as`` names a user, whose policy
then applies; writes are an administrator's and need ``--as``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiliang.cases import services
from jiliang.cases.models import Case
from jiliang.cases.policies import CASES, EVIDENCE, STEPS
from jiliang.core.cases import TRANSITIONS
from jiliang.policies import NATIONAL, Actor, actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

STEP_ACTIONS = [a for a in TRANSITIONS if a != "add_evidence"]


class Command(BaseCommand):
    help = "enforcement cases (行政处罚案件): list by deadline, open, steps, evidence, remind, penalties"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", metavar="USERNAME", help="act as this user (the policy decides)")
        sub = parser.add_subparsers(dest="step", metavar="STEP", required=True)
        p = sub.add_parser("list", help="the open cases, nearest deadline first")
        p.add_argument("--all", action="store_true", help="every case, not only the open ones")
        p = sub.add_parser("show", help="one case as JSON (deadlines, steps, evidence)")
        p.add_argument("number")
        p = sub.add_parser("open", help="register a clue (线索)")
        p.add_argument("--alert", type=int, help="from this telemetry alert (its evidence is frozen onto the case)")
        p.add_argument("--complaint", help="from this complaint (reference)")
        p.add_argument("--region", help="the region's code (a clue of another source)")
        p.add_argument("--party", help="the party's credit code")
        p.add_argument("--violation", required=True, choices=Case.Violation.values)
        p.add_argument("--summary", default="")
        p = sub.add_parser("act", help="take one step of a case")
        p.add_argument("number")
        p.add_argument("action", choices=STEP_ACTIONS)
        p.add_argument("--on", type=dt.date.fromisoformat, help="the step's date (default today)")
        p.add_argument("--note", default="")
        p.add_argument("--party", help="propose: the party's credit code")
        p.add_argument("--proposed-penalty", dest="proposed_penalty", default="")
        p.add_argument(
            "--hearing", dest="hearing_offered", action="store_true", help="notify: the party is told of its right to a hearing"
        )
        p.add_argument("--decision-number", dest="decision_number", default="")
        p.add_argument("--penalty", default="")
        p.add_argument("--fine", default="0")
        p.add_argument("--confiscated", default="0")
        p.add_argument("--warning-only", dest="warning_only", action="store_true")
        p.add_argument("--rectify-by", dest="rectify_by", default="")
        p.add_argument("--police", dest="transferred_to", default="", help="transfer: the police body")
        p = sub.add_parser("evidence", help="add a note or a file (kept with its SHA-256)")
        p.add_argument("number")
        p.add_argument("title")
        p.add_argument("--note", default="")
        p.add_argument("--file", type=Path)
        p = sub.add_parser("remind", help="send the reminders due today (cron)")
        p.add_argument("--today", type=dt.date.fromisoformat)
        sub.add_parser("penalties", help="the published penalty decisions (as the public reads them)")

    def handle(self, *args, step, username=None, **options):
        self.user = None
        if username:
            self.user = get_user_model().objects.filter(username=username).first()
            if self.user is None:
                raise CommandError(f"--as: no user {username!r}")
        self.actor = actor_for(self.user) if self.user else Actor(NATIONAL)
        try:
            getattr(self, "do_" + step)(**options)
        except Refused as exc:
            raise CommandError(str(exc)) from None

    def _writer(self):
        if self.user is None:
            raise CommandError("--as: a step is taken by an administrator")
        return self.user

    def _case(self, number: str) -> Case:
        case = CASES.visible(self.actor, Case.objects.select_related("party", "region")).filter(number=number).first()
        if case is None:
            raise CommandError(f"number: no case {number} that you can see")
        return case

    def _party(self, code):
        if not code:
            return None
        party = reg.Organisation.objects.filter(credit_code=code.strip().upper()).first()
        if party is None:
            raise CommandError(f"--party: no organisation with credit code {code}")
        return party

    def do_list(self, all=False, **_):
        if all:
            for case in CASES.visible(self.actor, Case.objects.select_related("party")).order_by("id")[:5000]:
                self.stdout.write(f"{case.number}\t{case.status}\t{case.party.name if case.party_id else '-'}")
            return
        today = timezone.localdate()
        for case, deadline in services.open_cases_by_deadline(self.actor, limit=None):
            due = f"{deadline.step} {deadline.due} ({(deadline.due - today).days:+d} d)" if deadline else "-"
            self.stdout.write(f"{case.number}\t{case.status}\t{due}\t{case.party.name if case.party_id else '-'}")

    def do_show(self, number, **_):
        case = self._case(number)
        document = {
            "number": case.number,
            "status": case.status,
            "source": case.source,
            "party": case.party.credit_code if case.party_id else None,
            "violation": case.violation,
            "deadlines": [{"step": d.step, "due": d.due.isoformat(), "clause": d.clause} for d in services.deadlines_of(case)],
            "steps": [
                {"action": s.action, "on": s.taken_on.isoformat(), "status": s.status_after, "note": s.note}
                for s in STEPS.visible(self.actor, case.steps.all())
            ],
            "evidence": [
                {
                    "kind": e.kind,
                    "title": e.title,
                    "sha256": e.sha256,
                    "intact": services.snapshot_intact(e) if e.snapshot else None,
                }
                for e in EVIDENCE.visible(self.actor, case.evidence.all())
            ],
        }
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=2))

    def do_open(self, alert=None, complaint=None, region=None, party=None, violation="", summary="", **_):
        user = self._writer()
        if alert:
            from jiliang.supervision.telemetry.models import Alert

            found = Alert.objects.select_related("region", "owner", "instrument").filter(pk=alert).first()
            if found is None:
                raise CommandError(f"--alert: no alert {alert}")
            case = services.open_from_alert(user, found, violation=violation, summary=summary)
        elif complaint:
            from jiliang.portal.models import Complaint

            found = Complaint.objects.select_related("region", "instrument__owner").filter(reference=complaint).first()
            if found is None:
                raise CommandError(f"--complaint: no complaint {complaint}")
            case = services.open_from_complaint(user, found, violation=violation, summary=summary)
        else:
            where = reg.Region.objects.filter(code=region or "").first()
            if where is None:
                raise CommandError("--region: the region code of a clue of another source")
            case = services.open_case(user, region=where, party=self._party(party), violation=violation, summary=summary)
        self.stdout.write(case.number)

    def do_act(self, number, action, party=None, **data):
        case = services.act(self._writer(), self._case(number), action, party=self._party(party), **data)
        self.stdout.write(f"{case.number}\t{case.status}")

    def do_evidence(self, number, title, note="", file=None, **_):
        content = file.read_bytes() if file else None
        evidence = services.add_evidence(
            self._writer(), self._case(number), title=title, note=note, filename=file.name if file else "", content=content
        )
        self.stdout.write(f"{evidence.pk}\t{evidence.sha256}")

    def do_remind(self, today=None, **_):
        for row in services.send_reminders(today):
            when = "overdue" if row.stage < 0 else f"{row.stage} d before"
            self.stdout.write(f"{row.case.number}\t{row.step}\t{row.due_on}\t{when}")

    def do_penalties(self, **_):
        for case in services.published_penalties()[:1000]:
            row = services.public_view(case)
            self.stdout.write(
                f"{row['decision_number']}\t{row['party']}\t{row['violation']}\t{row['decided_on']}\t{row['penalty']}"
            )
