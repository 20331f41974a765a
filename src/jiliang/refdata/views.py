"""The pages of standard reference data: the catalogue (published versions, and the
drafts the reader may see), a version with every value, its uncertainty and unit, its
citation per row and its exports; the resolver a citation's URL points at; the review
buttons the policy offers the reader. Anyone reads a published version."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jiliang.pages import perform
from jiliang.policies import actor_for

from . import services
from .models import DatasetVersion
from .policies import VERSIONS, allowed_actions

ROWS_PER_PAGE = 200  # bounded work per page: a big table is read page by page or exported


def _version(request, identifier: str) -> DatasetVersion:
    found = services.resolve(identifier)
    if found is None or found[1] is not None or not VERSIONS.may_view(actor_for(request.user), found[0]):
        raise Http404
    return found[0]


@require_GET
def catalogue(request):
    actor = actor_for(request.user)
    versions = VERSIONS.visible(actor, DatasetVersion.objects.select_related("dataset__issuer"))
    return render(
        request,
        "refdata/catalogue.html",
        {
            "published": versions.filter(status=DatasetVersion.Status.APPROVED)[:500],
            "pending": versions.exclude(status=DatasetVersion.Status.APPROVED)[:200],
        },
    )


@require_GET
def version_page(request, identifier: str):
    version = _version(request, identifier)
    page = Paginator(version.rows.order_by("number"), ROWS_PER_PAGE).get_page(request.GET.get("page"))
    others = VERSIONS.visible(actor_for(request.user), version.dataset.versions.exclude(pk=version.pk)).order_by("-number")
    return render(
        request,
        "refdata/version.html",
        {
            "version": version,
            "headings": services.headings(version),
            "rows": services.value_rows(version, page.object_list),
            "page": page,
            "others": others,
            "actions": allowed_actions(request.user, version),
            "intact": services.intact(version) if version.status == DatasetVersion.Status.APPROVED else None,
            "exports": ("csv", "json", "xlsx"),
        },
    )


@require_GET
def resolve(request):
    """A citation's URL: /refdata/resolve/?id=SRD-<code>-v<n>#row-<k> leads to the row."""
    identifier = request.GET.get("id", "")
    found = services.resolve(identifier)
    if found is None or not VERSIONS.may_view(actor_for(request.user), found[0]):
        raise Http404(_("没有以此标识发布的标准参考数据"))
    version, row = found
    url = reverse("refdata:version", args=[version.identifier])
    if row is not None:
        page = (row.number - 1) // ROWS_PER_PAGE + 1
        url += (f"?page={page}" if page > 1 else "") + f"#row-{row.number}"
    return redirect(url)


@require_POST
def act(request, identifier: str, action: str):
    if not request.user.is_authenticated:
        raise PermissionDenied
    version = _version(request, identifier)
    note = request.POST.get("note", "").strip()
    steps = {
        "submit": (lambda: services.submit(request.user, version), _("已提交审核")),
        "approve": (lambda: services.approve(request.user, version, note), _("已批准发布")),
        "return": (lambda: services.return_for_correction(request.user, version, note), _("已退回修改")),
    }
    if action not in steps:
        raise Http404
    perform(request, *steps[action])
    return redirect("refdata:version", identifier)
