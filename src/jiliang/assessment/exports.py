"""The authority's annual register of assessment files (计量标准考核台账) as XLSX (openpyxl):
one row per file filed or decided in the year, with its certificate."""

from __future__ import annotations

import io

from django.db.models import Q
from django.utils.translation import gettext as _

from .models import StandardCertificate

MAX_ROWS = 20000


def annual_register(applications, year: int) -> bytes:
    from openpyxl import Workbook

    rows = (
        applications.filter(Q(filed_on__year=year) | Q(decided_on__year=year))
        .select_related("holder", "authority")
        .order_by("authority__name", "filed_on", "id")
    )
    certs = {c.application_id: c for c in StandardCertificate.objects.filter(application__in=rows)}
    book = Workbook()
    sheet = book.active
    sheet.title = str(year)
    sheet.append(
        [
            _("申请编号"),
            _("考核类型"),
            _("计量标准名称"),
            _("建标单位"),
            _("主持考核部门"),
            _("申请日期"),
            _("状态"),
            _("逾期申请"),
            _("告知承诺"),
            _("审批日期"),
            _("证书编号"),
            _("有效期至"),
        ]
    )
    for app in rows[:MAX_ROWS]:
        cert = certs.get(app.pk)
        sheet.append(
            [
                app.number,
                str(app.get_kind_display()),
                app.name,
                app.holder.name,
                app.authority.name,
                app.filed_on,
                str(app.get_status_display()),
                _("是") if app.late else "",
                _("是") if app.commitment else "",
                app.decided_on,
                cert.number if cert else "",
                cert.valid_until if cert else None,
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
