"""The assessment's part of one standard's history (registry.timeline): its files, their
evaluations and findings, the certificates issued and the changes filed in service. Each
entry is one the actor may see, linking only to pages the actor may open."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from jiliang.registry.timeline import Entry

from .models import Application, ChangeFiling, Finding, StandardCertificate
from .policies import APPLICATION_POLICY, CERTIFICATE_POLICY, FILING_POLICY


def assessment_history(standard, actor):
    apps = list(APPLICATION_POLICY.visible(actor, Application.objects.filter(standard=standard)))
    for app in apps:
        url = reverse("assessment:detail", args=[app.pk])
        if app.filed_on:
            yield Entry(
                on=app.filed_on,
                kind="application",
                title=_("提交%(kind)s申请 %(number)s") % {"kind": app.get_kind_display(), "number": app.number},
                detail=_("主持考核部门：%(authority)s") % {"authority": app.authority.name},
                url=url,
            )
        for row in app.assignments.select_related("assessor__person"):
            yield Entry(
                on=row.assigned_on,
                kind="evaluation",
                title=_("指派考评员 %(name)s") % {"name": row.assessor.person.name},
                url=url,
            )
        for f in app.findings.all():
            yield Entry(
                on=f.raised_on,
                kind="finding",
                title=_("整改项 %(clause)s：%(status)s") % {"clause": f.clause, "status": f.get_status_display()},
                detail=f.description,
                url=url,
            )
            if f.closed_on and f.status == Finding.Status.CLOSED:
                yield Entry(on=f.closed_on, kind="finding", title=_("整改确认 %(clause)s") % {"clause": f.clause}, url=url)
        if app.decided_on:
            yield Entry(
                on=app.decided_on,
                kind="decision",
                title=_("考核结论：%(status)s") % {"status": app.get_status_display()},
                detail=app.decision_reason,
                url=url,
            )
        if app.post_checked_on:  # the last check after a decision on a commitment (告知承诺)
            yield Entry(
                on=app.post_checked_on,
                kind="decision",
                title=_("告知承诺事后核查：%(result)s") % {"result": app.get_post_check_display()},
                detail=app.post_check_note,
                url=url,
            )
    certificates = CERTIFICATE_POLICY.visible(actor, StandardCertificate.objects.filter(standard=standard))
    for cert in certificates.distinct():
        yield Entry(
            on=cert.issued_on,
            kind="certificate",
            title=_("颁发计量标准考核证书 %(number)s") % {"number": cert.number},
            detail=_("有效期至 %(until)s") % {"until": cert.valid_until.isoformat()},
            url=reverse("assessment:certificate", args=[cert.number]),
        )
    for filing in FILING_POLICY.visible(actor, ChangeFiling.objects.filter(standard=standard)):
        yield Entry(
            on=filing.filed_on,
            kind="filing",
            title=_("%(kind)s（%(status)s）") % {"kind": filing.get_kind_display(), "status": filing.get_status_display()},
            detail=filing.description,
            url=reverse("assessment:filing", args=[filing.pk]),
        )
