"""`jiliang assessment …`: each step of a measurement-standard assessment file (计量标准考核)
from the command line. Without ``--as`` the operator acts for the platform; with
``--as USERNAME`` the step is that user's and the policy decides as on the pages and the API.
A refusal is one line naming the field and the rule (exit 2)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jiliang.assessment import certificate as signing
from jiliang.assessment import rules, services
from jiliang.assessment.models import Application, Assessor, ChangeFiling, Finding, StandardCertificate
from jiliang.policies import actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused


def _date(text):
    return dt.date.fromisoformat(text) if text else None


class Command(BaseCommand):
    help = "measurement-standard assessment (计量标准考核): file, accept, evaluate, decide, file changes, remind"
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--as", dest="username", metavar="USERNAME", help="act as this user (the policy decides)")
        sub = parser.add_subparsers(dest="step", metavar="STEP", required=True)
        p = sub.add_parser("list", help="the files the actor sees (the authority's queue by deadline)")
        p.add_argument("--status", choices=Application.Status.values)
        p = sub.add_parser("show", help="one file as JSON")
        p.add_argument("number")
        p = sub.add_parser("open", help="open a draft file from a JSON description")
        p.add_argument(
            "file", type=Path, help="JSON: kind, holder (credit code), standard (certificate number) or name/tier/level/field, …"
        )
        p = sub.add_parser("attach", help="attach a document")
        p.add_argument("number")
        p.add_argument("kind", choices=list(rules.DOCUMENT_KINDS))
        p.add_argument("file", type=Path)
        for name, text in (
            ("check", "what the platform finds against the file today"),
            ("submit", "submit the file"),
            ("accept", "accept the file (受理)"),
            ("conclude", "the assessors' conclusion"),
        ):
            sub.add_parser(name, help=text).add_argument("number")
        p = sub.add_parser("return", help="return the file with reasons")
        p.add_argument("number")
        p.add_argument("--reasons", required=True)
        p = sub.add_parser("assign", help="assign assessors (by assessor certificate number)")
        p.add_argument("number")
        p.add_argument("assessors", nargs="+")
        p = sub.add_parser("record", help="record one evaluation item")
        p.add_argument("number")
        p.add_argument("phase", choices=["documents", "onsite"])
        p.add_argument("clause")
        p.add_argument("verdict", choices=["yes", "no"])
        p.add_argument("--note", default="")
        p.add_argument("--evidence", default="")
        p = sub.add_parser("finding", help="raise a finding to rectify")
        p.add_argument("number")
        p.add_argument("clause")
        p.add_argument("description")
        p.add_argument("--deadline")
        p = sub.add_parser("respond", help="respond to a finding (by id)")
        p.add_argument("finding", type=int)
        p.add_argument("response")
        p = sub.add_parser("close", help="accept (or --reopen) a finding's rectification")
        p.add_argument("finding", type=int)
        p.add_argument("--reopen", action="store_true")
        p = sub.add_parser("approve", help="approve and issue the certificate")
        p.add_argument("number")
        p.add_argument("--reason", default="")
        p = sub.add_parser("refuse", help="refuse, with the reason")
        p.add_argument("number")
        p.add_argument("--reason", required=True)
        p = sub.add_parser("post-check", help="the check after a decision on a commitment (告知承诺)")
        p.add_argument("number")
        p.add_argument("--not-kept", action="store_true", help="the commitment was not kept (first: rectify; again: revoke)")
        p.add_argument("--note", default="")
        p = sub.add_parser("verify", help="check a 计量标准考核证书 by its number")
        p.add_argument("certificate")
        p = sub.add_parser("file-change", help="file a change of a standard in service (JJF 1033-2023 §6)")
        p.add_argument("standard", help="the standard's certificate number")
        p.add_argument("kind", choices=ChangeFiling.Kind.values)
        p.add_argument("description")
        p.add_argument("--effective-on")
        p = sub.add_parser("review", help="review a change filing")
        p.add_argument("filing", help="the filing's number")
        p.add_argument("action", choices=["approve", "reassess", "reject"])
        p.add_argument("--note", default="")
        p = sub.add_parser("remind", help="send the reminders due today (cron)")
        p.add_argument("--today")
        p = sub.add_parser("register", help="the authority's annual register as XLSX")
        p.add_argument("--year", type=int, default=dt.date.today().year)
        p.add_argument("--authority", help="the administration's credit code (default: all)")
        p.add_argument("--output", type=Path, required=True)

    def handle(self, *args, step, username=None, **options):
        actor = None
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"--as: no user {username!r}")
            actor = actor_for(user)
        try:  # in the operator's language: jiliang.cli makes it the active one
            out = getattr(self, "do_" + step.replace("-", "_"))(actor, **options)
        except Refused as exc:
            raise CommandError(str(exc)) from None
        except (
            Application.DoesNotExist,
            Finding.DoesNotExist,
            StandardCertificate.DoesNotExist,
            ChangeFiling.DoesNotExist,
        ) as exc:
            raise CommandError(f"not found: {exc}") from None
        if out is not None:
            self.stdout.write(out if isinstance(out, str) else json.dumps(out, ensure_ascii=False, indent=2, default=str))

    def _app(self, actor, number) -> Application:
        rows = Application.objects.all()
        if actor is not None:
            from jiliang.assessment.policies import APPLICATION_POLICY

            rows = APPLICATION_POLICY.visible(actor, rows)
        app = rows.filter(number=number).first()
        if app is None:
            raise CommandError(f"number: no application {number!r}")
        return app

    @staticmethod
    def _brief(app) -> dict:
        return {
            "number": app.number,
            "kind": app.kind,
            "status": app.status,
            "name": app.name,
            "holder": app.holder.name,
            "authority": app.authority.name,
            "due_on": app.due_on,
        }

    def do_list(self, actor, status=None, **_):
        from jiliang.assessment.policies import APPLICATION_POLICY

        rows = Application.objects.select_related("holder", "authority")
        if actor is not None:
            rows = APPLICATION_POLICY.visible(actor, rows)
        if status:
            rows = rows.filter(status=status)
        return [self._brief(a) for a in rows.order_by("due_on", "id")[:500]]

    def do_show(self, actor, number, **_):
        app = self._app(actor, number)
        return {
            **self._brief(app),
            "documents": list(app.documents.values("kind", "filename", "size")),
            "results": list(app.results.values("phase", "clause", "conforming", "note")),
            "findings": list(app.findings.values("id", "clause", "description", "deadline", "status")),
            "certificate": StandardCertificate.objects.filter(application=app).values_list("number", flat=True).first(),
        }

    def do_open(self, actor, file, **_):
        data = json.loads(file.read_text(encoding="utf-8"))
        holder = reg.Organisation.objects.filter(credit_code=data.get("holder", "")).first()
        if holder is None:
            raise CommandError(f"{file}: holder: no organisation with credit code {data.get('holder')!r}")
        standard = None
        if data.get("standard"):
            standard = reg.MeasurementStandard.objects.filter(certificate_number=data["standard"]).first()
            if standard is None:
                raise CommandError(f"{file}: standard: no standard {data['standard']!r}")
        field = reg.MetrologyField.objects.filter(code=data.get("field", "")).first()
        app = services.open_application(
            actor,
            kind=data.get("kind", "new"),
            holder=holder,
            standard=standard,
            name=data.get("name", ""),
            tier=data.get("tier", "public"),
            level=data.get("level", ""),
            rank=data.get("rank", "highest"),
            field=field,
            equipment=list(reg.Instrument.objects.filter(code__in=data.get("equipment", []))),
            specifications=list(reg.Specification.objects.filter(code__in=data.get("specifications", []))),
            catalog_items=list(reg.CatalogItem.objects.filter(code__in=data.get("catalog_items", []))),
            people=list(reg.Person.objects.filter(organisation=holder, name__in=data.get("people", []))),
            responsible=reg.Person.objects.filter(organisation=holder, name=data.get("responsible", "")).first(),
            report=data.get("report", {}),
            late=bool(data.get("late")),
            commitment=bool(data.get("commitment")),
        )
        return app.number

    def do_attach(self, actor, number, kind, file, **_):
        if not file.is_file():
            raise CommandError(f"{file}: file not found")
        doc = services.attach(actor, self._app(actor, number), kind, file.name, file.read_bytes())
        return f"{doc.filename} ({doc.size} bytes)"

    def do_check(self, actor, number, **_):
        return [{"field": f, "reason": r} for f, r in services.check_application(self._app(actor, number))]

    def do_submit(self, actor, number, **_):
        return services.submit(actor, self._app(actor, number)).status

    def do_accept(self, actor, number, **_):
        return services.accept(actor, self._app(actor, number)).status

    def do_return(self, actor, number, reasons, **_):
        return services.return_application(actor, self._app(actor, number), reasons).status

    def do_assign(self, actor, number, assessors, **_):
        found = list(Assessor.objects.filter(certificate_number__in=assessors))
        missing = sorted(set(assessors) - {a.certificate_number for a in found})
        if missing:
            raise CommandError(f"assessors: not on the register: {', '.join(missing)}")
        rows = services.assign(actor, self._app(actor, number), found)
        return [r.assessor.certificate_number for r in rows]

    def do_record(self, actor, number, phase, clause, verdict, note, evidence, **_):
        row = services.record_result(
            actor, self._app(actor, number), phase=phase, clause=clause, conforming=verdict == "yes", note=note, evidence=evidence
        )
        return f"{row.phase} {row.clause} {'conforming' if row.conforming else 'not conforming'}"

    def do_finding(self, actor, number, clause, description, deadline=None, **_):
        f = services.raise_finding(
            actor, self._app(actor, number), clause=clause, description=description, deadline=_date(deadline)
        )
        return {"id": f.pk, "deadline": f.deadline}

    def do_respond(self, actor, finding, response, **_):
        return services.respond(actor, Finding.objects.get(pk=finding), response).status

    def do_close(self, actor, finding, reopen=False, **_):
        return services.close_finding(actor, Finding.objects.get(pk=finding), accepted=not reopen).status

    def do_conclude(self, actor, number, **_):
        return services.conclude(actor, self._app(actor, number)).status

    def do_approve(self, actor, number, reason="", **_):
        cert = services.approve(actor, self._app(actor, number), reason)
        return {"certificate": cert.number, "valid_from": cert.valid_from, "valid_until": cert.valid_until}

    def do_refuse(self, actor, number, reason, **_):
        return services.refuse(actor, self._app(actor, number), reason).status

    def do_post_check(self, actor, number, not_kept=False, note="", **_):
        app = services.post_check(actor, self._app(actor, number), not not_kept, note)
        return {"post_check": app.post_check, "post_check_due": app.post_check_due}

    def do_verify(self, actor, certificate, **_):
        verdict = signing.check(StandardCertificate.objects.get(number=certificate))
        if not verdict["valid"]:
            self.stdout.write(json.dumps(verdict, ensure_ascii=False, indent=2))
            raise SystemExit(1)
        return verdict

    def do_file_change(self, actor, standard, kind, description, effective_on=None, **_):
        std = reg.MeasurementStandard.objects.filter(certificate_number=standard).first()
        if std is None:
            raise CommandError(f"standard: no standard {standard!r}")
        return services.file_change(actor, std, kind=kind, description=description, effective_on=_date(effective_on)).number

    def do_review(self, actor, filing, action, note="", **_):
        return services.review_change(actor, ChangeFiling.objects.get(number=filing), action, note).status

    def do_remind(self, actor, today=None, **_):
        sent = services.send_reminders(_date(today))
        return [
            {"subject": r.subject, "label": r.label, "due_on": r.due_on, "stage": r.stage, "to": r.recipient.name} for r in sent
        ]

    def do_register(self, actor, year, output, authority=None, **_):
        from jiliang.assessment.exports import annual_register

        admin = None
        if authority:
            admin = reg.Organisation.objects.filter(credit_code=authority).first()
            if admin is None:
                raise CommandError(f"--authority: no organisation with credit code {authority!r}")
        rows = Application.objects.all()
        if admin is not None:
            rows = rows.filter(authority=admin)
        output.write_bytes(annual_register(rows, year))
        return str(output)
