"""Issue 18: a measurement standard's assessment file through every transition and every
refusal the rules name, on the services (the API, pages and CLI call the same ones)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiliang.assessment import certificate as signing
from jiliang.assessment import rules, services
from jiliang.assessment.models import Application, AuthorityProfile, ChangeFiling, Finding, Reminder, StandardCertificate
from jiliang.assessment.policies import APPLICATION_POLICY
from jiliang.policies import Actor
from jiliang.registry import models as reg
from jiliang.registry import timeline, validity
from jiliang.registry.services import Refused
from tests.catalog import SPHYGMOMANOMETER

from .conftest import DAY, NEW_DOCS, REEXAM_DOCS, REPORT

pytestmark = pytest.mark.django_db


def applicant(w):
    return Actor("institution_staff", user_id=None, organisation_id=w.holder.pk)


def authority(w, code="330000"):
    return Actor("region_admin", region_prefix=w.p.regions[code].descendant_codes_prefix())


def new_file(w, equipment=None, **extra):
    app = services.open_application(
        applicant(w),
        kind="new",
        holder=w.holder,
        name="精密压力表标准装置",
        tier="public",
        level="city",
        field=w.field,
        equipment=equipment if equipment is not None else w.devices,
        specifications=[w.spec],
        catalog_items=[w.p.items[SPHYGMOMANOMETER]],
        people=w.people,
        responsible=w.people[0],
        report=REPORT,
        **extra,
    )
    for kind in NEW_DOCS:
        services.attach(applicant(w), app, kind, f"{kind}.pdf", b"%PDF-1.4 demo")
    return app


def judge_everything(app, nonconforming=()):
    for phase in ("documents", "onsite"):
        for item in rules.items_for(phase):
            bad = item.clause in nonconforming
            services.record_result(
                None,
                app,
                phase=phase,
                clause=item.clause,
                conforming=not bad,
                note="温度记录缺失" if bad else "",
                evidence="现场查看",
            )


def test_the_authority_follows_level_and_region(w):
    p = w.p
    # The highest public standard of a city: the province's administration (实施细则 第八条).
    assert rules.assessing_authority(w.holder, "public", "city", "highest") == p.admin["330000"]
    # Of a county: the city's; a subordinate one: its own region's.
    assert rules.assessing_authority(p.county_institute, "public", "county", "highest") == p.admin["330100"]
    assert rules.assessing_authority(p.county_institute, "public", "county", "subordinate") == p.admin["330102"]
    # The province's highest belongs to SAMR, which the registry does not hold: refused, named.
    with pytest.raises(Refused, match="实施细则 第八条"):
        services.open_application(
            Actor("institution_staff", organisation_id=p.province_institute.pk),
            kind="new",
            holder=p.province_institute,
            name="x",
            tier="public",
            level="province",
            field=w.field,
        )


def test_a_new_standard_from_application_to_signed_certificate(w):
    app = new_file(w)
    assert app.authority == w.p.admin["330000"] and app.status == "draft"
    # Only the holder's staff files; the authority is not the applicant.
    with pytest.raises(Refused) as refused:
        services.submit(authority(w), app)
    assert refused.value.forbidden
    services.submit(applicant(w), app)
    app.refresh_from_db()
    assert app.status == "submitted" and app.due_on > app.filed_on
    # Another city's administration does not hold this file.
    with pytest.raises(Refused):
        services.accept(authority(w, "330200"), app)
    services.accept(authority(w), app)
    # An assessor from the applicant's own institute is refused, naming the rule.
    with pytest.raises(Refused, match="回避"):
        services.assign(authority(w), app, [w.own_assessor])
    services.assign(authority(w), app, w.assessors)
    app.refresh_from_db()
    assert app.status == "evaluating" and app.assignments.get(leader=True).assessor == w.assessors[0]
    assessor_actor = Actor("institution_staff", user_id=None, organisation_id=w.p.province_institute.pk)
    with pytest.raises(Refused):  # not an assigned assessor (no user)
        services.record_result(assessor_actor, app, phase="documents", clause="4.1.1", conforming=True)
    with pytest.raises(Refused, match="不是 documents 阶段的考评项目"):
        services.record_result(None, app, phase="documents", clause="4.6.2", conforming=True)
    judge_everything(app, nonconforming=("4.3.3",))
    with pytest.raises(Refused, match="不符合项尚未提出整改"):
        services.conclude(None, app)
    finding = services.raise_finding(None, app, clause="4.3.3", description="补充环境温湿度监控记录")
    assert finding.deadline > w.today
    app = services.conclude(None, app)
    assert app.status == "rectification"
    # A decision with an open finding is refused, naming the rule.
    with pytest.raises(Refused, match="§5.4"):
        services.approve(authority(w), app)
    services.respond(applicant(w), finding, "已安装温湿度记录仪并补录记录")
    services.close_finding(None, finding, accepted=False)
    finding.refresh_from_db()
    assert finding.status == "open"
    services.respond(applicant(w), finding, "已补录三个月的记录")
    services.close_finding(None, finding)
    app = services.conclude(None, app)
    assert app.status == "evaluated"
    cert = services.approve(authority(w), app, "考核合格")
    app.refresh_from_db()
    assert app.status == "approved" and app.standard is not None
    standard = reg.MeasurementStandard.objects.get(pk=app.standard_id)
    # The registry's standard carries the certificate; its devices are the file's equipment.
    assert standard.certificate_number == cert.number == f"[{w.today.year}]量标330000证字第001号"
    assert (standard.valid_from, standard.valid_until) == (w.today, reg.default_valid_until(w.today))
    assert standard.status == "active" and set(standard.devices.all()) == set(w.devices)
    assert validity.standard_verdicts([standard.pk], w.today)[standard.pk]["valid"]
    # The certificate is signed by the authority's key and checks; a changed byte does not.
    verdict = signing.check(cert)
    assert verdict["valid"] and verdict["signature_valid"] and verdict["record_match"], verdict
    cert.xml = bytes(cert.xml).replace(cert.number.encode(), b"[2000]forged")
    assert not signing.check(cert)["valid"]
    # The standard's history shows the file from filing to certificate.
    kinds = [e.kind for e in timeline.history(standard, Actor("national"))]
    assert {"application", "evaluation", "finding", "decision", "certificate", "status"} <= set(kinds)


def test_untraceable_equipment_is_refused_before_the_authority_sees_it(w):
    app = new_file(w, equipment=[*w.devices, w.untraced])
    with pytest.raises(Refused) as refused:
        services.submit(applicant(w), app)
    assert any(name == "equipment" and "NEWDEV-X" in reason and "§4.1" in reason for name, reason in refused.value.reasons)
    app.refresh_from_db()
    assert app.status == "draft"


def test_incomplete_files_and_unqualified_people_are_named(w):
    app = services.open_application(
        applicant(w),
        kind="new",
        holder=w.holder,
        name="x",
        tier="public",
        level="city",
        field=w.field,
        equipment=w.devices,
        specifications=[w.spec],
        catalog_items=[w.p.items[SPHYGMOMANOMETER]],
        people=w.people[:1],
    )
    fields = {name for name, _ in services.check_application(app)}
    assert {"documents", "report", "responsible", "people"} <= fields


def test_return_and_resubmit(w):
    app = new_file(w)
    services.submit(applicant(w), app)
    with pytest.raises(Refused, match="reasons"):
        services.return_application(authority(w), app, " ")
    services.return_application(authority(w), app, "技术报告缺少不确定度验证")
    app.refresh_from_db()
    assert app.status == "returned"
    services.submit(applicant(w), app)
    app.refresh_from_db()
    assert app.status == "submitted" and app.return_reasons == ""


def test_refusal_of_the_standard(w):
    app = new_file(w)
    services.submit(applicant(w), app)
    services.accept(authority(w), app)
    with pytest.raises(Refused):
        services.refuse(authority(w), app, "")
    services.refuse(authority(w), app, "现场实验结果超出不确定度")
    app.refresh_from_db()
    assert app.status == "refused" and not StandardCertificate.objects.filter(application=app).exists()


def reexam(w, standard, late=False, commitment=False, on=None):
    app = services.open_application(
        Actor("institution_staff", organisation_id=standard.holder_id),
        kind="reexamination",
        holder=standard.holder,
        standard=standard,
        people=w.people,
        responsible=w.people[0],
        report=REPORT,
        late=late,
        commitment=commitment,
        on=on,
    )
    for kind in REEXAM_DOCS:
        services.attach(None, app, kind, f"{kind}.pdf", b"%PDF-1.4 demo")
    return app


def test_reexamination_window_and_the_late_flag(w):
    std = w.p.city_bp  # city public standard of the city institute, valid ~4 more years
    with pytest.raises(Refused, match="复查考核自 .+ 起方可申请"):
        reexam(w, std)
    opens = reg.reexamination_due_from(std.valid_until)
    assert reexam(w, std, on=opens).status == "draft"
    after = std.valid_until + 10 * DAY
    with pytest.raises(Refused, match="逾期"):
        reexam(w, std, on=after)
    late = reexam(w, std, late=True, on=after)
    assert late.late


def test_reexamination_on_commitment_where_the_authority_enables_it(w):
    std = reg.MeasurementStandard.objects.get(pk=w.p.city_bp.pk)  # a copy: the module's world stays as built
    std.valid_until = w.today + 60 * DAY
    std.save(update_fields=["valid_until"])
    with pytest.raises(Refused, match="告知承诺"):
        reexam(w, std, commitment=True)
    holds = rules.assessing_authority(std.holder, std.tier, std.level, std.rank)
    AuthorityProfile.objects.update_or_create(authority=holds, defaults={"commitment_enabled": True})
    app = reexam(w, std, commitment=True)
    app.equipment.set(w.devices)
    app.specifications.set([w.spec])
    services.submit(None, app)
    services.accept(None, app)
    cert = services.approve(authority(w), app, "告知承诺，书面审查")
    std.refresh_from_db()
    app.refresh_from_db()
    assert std.certificate_number == cert.number and std.valid_until == cert.valid_until
    assert app.post_check_due == w.today + services.POST_CHECK_DAYS * DAY

    # The check afterwards (国办发〔2020〕42号): only the authority; not kept → a deadline to
    # rectify; not kept again → the approval is revoked and the standard cancelled that day.
    with pytest.raises(Refused) as refused:
        services.post_check(applicant(w), app, conforming=True)
    assert refused.value.forbidden
    with pytest.raises(Refused, match="告知承诺"):
        services.post_check(authority(w), app, conforming=False)  # a finding states what was found
    services.post_check(authority(w), app, conforming=False, note="环境温湿度记录缺失", on=w.today + 30 * DAY)
    app.refresh_from_db()
    assert app.post_check == "rectify" and app.post_check_due > w.today + 30 * DAY
    assert "post_check" in APPLICATION_POLICY.allowed_actions(authority(w), app)
    revoked_on = w.today + 60 * DAY
    services.post_check(authority(w), app, conforming=False, note="整改后仍无记录", on=revoked_on)
    app.refresh_from_db()
    std.refresh_from_db()
    assert app.post_check == "revoked" and std.status == "cancelled"
    change = std.status_changes.get(status="cancelled")
    assert change.effective_on == revoked_on and "告知承诺" in change.reason
    assert "post_check" not in APPLICATION_POLICY.allowed_actions(authority(w), app)
    assert validity.standard_verdicts([std.pk], revoked_on + DAY)[std.pk]["valid"] is False
    titles = [entry.title for entry in timeline.history(std, authority(w))]
    assert any("告知承诺事后核查" in title for title in titles) and any("撤销" in title for title in titles)


def approved_on_commitment(w) -> tuple[reg.MeasurementStandard, Application]:
    """The city standard in its last months, re-examined on a commitment (its authority
    enables them) and approved on documents: the file a check afterwards starts from."""
    std = reg.MeasurementStandard.objects.get(pk=w.p.city_bp.pk)  # a copy: the module's world stays as built
    std.valid_until = w.today + 60 * DAY
    std.save(update_fields=["valid_until"])
    holds = rules.assessing_authority(std.holder, std.tier, std.level, std.rank)
    AuthorityProfile.objects.update_or_create(authority=holds, defaults={"commitment_enabled": True})
    app = reexam(w, std, commitment=True)
    app.equipment.set(w.devices)
    app.specifications.set([w.spec])
    services.submit(None, app)
    services.accept(None, app)
    services.approve(authority(w), app, "告知承诺")
    return std, app


def test_a_commitment_kept_closes_the_check(w):
    std, app = approved_on_commitment(w)
    services.post_check(authority(w), app, conforming=True, note="现场核查符合")
    app.refresh_from_db()
    std.refresh_from_db()
    assert app.post_check == "conforming" and app.post_check_due is None and std.status == "active"
    assert "post_check" not in APPLICATION_POLICY.allowed_actions(authority(w), app)


def test_in_service_filings_and_the_status_on_each_date(w):
    std = w.p.county_scale
    holder = Actor("institution_staff", organisation_id=std.holder_id)
    bureau = Actor("region_admin", region_prefix=std.issuing_department.region.descendant_codes_prefix())
    sealed_on = w.today - 20 * DAY
    seal = services.file_change(holder, std, kind="seal", description="主标准器送修", effective_on=sealed_on)
    with pytest.raises(Refused):  # the holder does not review its own filing
        services.review_change(holder, seal, "approve")
    services.review_change(bureau, seal, "approve")
    std.refresh_from_db()
    assert std.status == "sealed"
    assert std.status_changes.filter(status="sealed", effective_on=sealed_on).exists()
    before = validity.standard_verdicts([std.pk], sealed_on - DAY)[std.pk]
    during = validity.standard_verdicts([std.pk], sealed_on + DAY)[std.pk]
    assert before["valid"] and not during["valid"]
    assert "STANDARD_SUSPENDED" in {r["code"] for r in during["reasons"]}
    restore = services.file_change(holder, std, kind="restore", description="修复并重新校准", effective_on=w.today)
    services.review_change(bureau, restore, "approve")
    std.refresh_from_db()
    assert std.status == "active" and validity.standard_verdicts([std.pk], w.today)[std.pk]["valid"]
    move = services.file_change(holder, std, kind="location", description="迁入新实验楼")
    with pytest.raises(Refused, match="迁址须重新考核"):
        services.review_change(bureau, move, "approve")
    assert services.review_change(bureau, move, "reassess").status == ChangeFiling.Status.REASSESS
    with pytest.raises(Refused, match="不能批准"):
        services.review_change(bureau, move, "approve")


def test_reminders_at_each_step_once(w):
    app = new_file(w)
    services.submit(None, app, on=w.today)
    app.refresh_from_db()
    due = app.due_on
    first = services.send_reminders(today=due - dt.timedelta(days=6), steps=(30, 7, 1))
    mine = [r for r in first if r.object_id == app.pk and r.subject == Reminder.Subject.ACCEPTANCE]
    assert [r.stage for r in mine] == [7] and mine[0].recipient == app.authority
    again = services.send_reminders(today=due - dt.timedelta(days=5), steps=(30, 7, 1))
    assert not [r for r in again if r.object_id == app.pk]
    last = services.send_reminders(today=due, steps=(30, 7, 1))
    assert [r.stage for r in last if r.object_id == app.pk and r.subject == "acceptance"] == [1]
    # A finding's deadline reminds the holder.
    services.accept(None, app)
    services.assign(None, app, w.assessors[:1])
    finding = services.raise_finding(None, app, clause="4.5.4", description="原始记录不完整", deadline=w.today + 3 * DAY)
    sent = services.send_reminders(today=w.today, steps=(30, 7, 1))
    assert any(r.subject == "rectification" and r.object_id == finding.pk and r.recipient == w.holder for r in sent)
    assert Finding.objects.get(pk=finding.pk).status == "open"
    assert Application.objects.get(pk=app.pk).status == "evaluating"


def test_deadlines_count_working_days_of_the_holiday_notice(settings, tmp_path):
    # 计量标准考核办法: acceptance within 5 working days. Filed on Wednesday 30 September
    # 2026, the National Day break (1–7 October) is skipped and Saturday 10 October, a
    # 调休 working day, counts: due Tuesday 13 October.
    assert settings.JILIANG_ASSESSMENT_ACCEPTANCE_WORKING_DAYS == 5
    assert services.working_days_after(dt.date(2026, 9, 30), settings.JILIANG_ASSESSMENT_ACCEPTANCE_WORKING_DAYS) == dt.date(
        2026, 10, 13
    )
    # A year the platform does not ship is added by a file of the same shape.
    assert services.working_days_after(dt.date(2027, 2, 5), 1) == dt.date(2027, 2, 8)  # weekends only
    notice = tmp_path / "2027.json"
    notice.write_text('{"years": {"2027": {"off": [["2027-02-06", "2027-02-14"]], "on": ["2027-02-20"]}}}', encoding="utf-8")
    settings.JILIANG_HOLIDAYS_FILE = str(notice)
    assert services.working_days_after(dt.date(2027, 2, 5), 1) == dt.date(2027, 2, 15)
