"""The credit pages: the supervisors' dashboard (grades by region and by sector, requests to
decide), an organisation's record (its evidence, grade, history, objections and repairs, with
the forms the organisation and the authority use), and the published rule set. Every decision
is the policy's (credit.policies); every write is a service's."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiliang.core.errors import InputError
from jiliang.messages import render as render_error
from jiliang.policies import PUBLIC, actor_for
from jiliang.registry.models import Organisation

from . import services
from .models import Objection, Repair
from .policies import CREDIT
from .rules import date_of, to_document

REQUESTS = {"objection": Objection, "repair": Repair}


def _english() -> bool:
    """The rule set carries both languages: the page shows the one it is in."""
    return (get_language() or "").startswith("en")


SHOWN = 50


@login_required
def home(request):
    actor = actor_for(request.user)
    if CREDIT.sees_own(actor):  # the organisation's own people: their record
        own = get_object_or_404(Organisation.objects.select_related("region"), pk=actor.organisation_id)
        return render(request, "credit/organisation.html", _record_context(actor, own))
    if not CREDIT.sees_dashboard(actor):
        raise PermissionDenied(_("信用记录由本单位和监管部门查看"))
    query = (request.GET.get("q") or "").strip()
    found = []
    if query:
        found = list(
            CREDIT.visible_organisations(actor, Organisation.objects.select_related("region"))
            .filter(Q(name__icontains=query) | Q(credit_code__iexact=query))
            .order_by("name")[:SHOWN]
        )
    waiting = {
        name: list(
            CREDIT.visible(actor, model.objects.select_related("organisation")).filter(status="open").order_by("filed_on")[:SHOWN]
        )
        for name, model in REQUESTS.items()
    }
    context = {
        "en": _english(),
        "tables": [services.summary(actor, "region"), services.summary(actor, "sector")],
        "query": query,
        "found": found,
        "objections": waiting["objection"],
        "repairs": waiting["repair"],
    }
    return render(request, "credit/home.html", context)


def _organisation(request, pk: int):
    actor = actor_for(request.user)
    organisation = get_object_or_404(Organisation.objects.select_related("region"), pk=pk)
    if not CREDIT.sees_record(actor, organisation):
        if actor.kind == PUBLIC:
            raise PermissionDenied(_("信用记录由本单位和监管部门查看"))
        raise Http404  # a record outside the actor's scope is not there for it
    return actor, organisation


def _record_context(actor, organisation, errors=()):
    record = services.record_of(organisation)
    return {
        "organisation": organisation,
        "record": record,
        "grade_label": record["rules"].grade(record["current"].grade if record["current"] else record["rules"].default_grade),
        "may_request": CREDIT.may_request(actor, organisation),
        "may_decide": CREDIT.may_decide(actor, organisation),
        "objections": list(Objection.objects.filter(organisation=organisation)[:SHOWN]),
        "repairs": list(Repair.objects.filter(organisation=organisation)[:SHOWN]),
        "errors": list(errors),
        "en": _english(),
    }


@login_required
def organisation(request, pk: int):
    actor, org = _organisation(request, pk)
    return render(request, "credit/organisation.html", _record_context(actor, org))


@login_required
@require_POST
def file_request(request, pk: int, what: str):
    """The organisation objects to a piece (异议) or asks for its repair (信用修复)."""
    actor, org = _organisation(request, pk)
    if what not in REQUESTS or not CREDIT.may_request(actor, org):
        raise PermissionDenied(_("异议和信用修复由本单位人员提出"))
    act = services.file_objection if what == "objection" else services.request_repair
    try:
        act(
            request.user,
            org,
            request.POST.get("kind", ""),
            request.POST.get("reference", ""),
            request.POST.get("statement", ""),
            request.FILES.get("attachment"),
        )
    except InputError as exc:
        return render(request, "credit/organisation.html", _record_context(actor, org, [render_error(exc)]), status=400)
    return redirect("credit:organisation", pk=org.pk)


@login_required
@require_POST
def decide(request, what: str, pk: int):
    actor = actor_for(request.user)
    if what not in REQUESTS:
        raise PermissionDenied
    item = get_object_or_404(CREDIT.visible(actor, REQUESTS[what].objects.select_related("organisation")), pk=pk)
    if "decide" not in CREDIT.allowed_actions(actor, item):
        raise PermissionDenied(_("由该单位所在地区的计量行政部门决定"))
    act = services.decide_objection if what == "objection" else services.decide_repair
    try:
        act(request.user, item, request.POST.get("decision") == "accept", request.POST.get("reason", ""))
    except InputError as exc:
        return render(
            request, "credit/organisation.html", _record_context(actor, item.organisation, [render_error(exc)]), status=400
        )
    return redirect("credit:organisation", pk=item.organisation_id)


@require_http_methods(["GET", "POST"])
def rules(request):
    """The published rule set (anyone reads it); a provincial or national administrator
    publishes a new version from a date."""
    actor = actor_for(request.user)
    may_set = CREDIT.may_set_rules(actor)
    errors, status = [], 200
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied(_("信用分类规则由省级或国家计量行政部门发布"))
        try:
            try:
                document = json.loads(request.POST.get("document", ""))
            except json.JSONDecodeError as exc:
                raise InputError("document", exc.msg, code="file_bad_json", line=exc.lineno, msg=exc.msg) from None
            day = date_of(request.POST.get("effective_from", ""))
            services.set_rules(request.user, document, day, request.POST.get("note", ""))
            return redirect("credit:rules")
        except InputError as exc:
            errors, status = [render_error(exc)], 400
    versions = services.all_rule_sets()
    wanted = request.GET.get("version")
    shown = services.rule_set(int(wanted)) if wanted and wanted.isdigit() else services.rule_set_on()
    if shown is None:
        shown = services.rule_set_on()
    context = {
        "shown": shown,
        "in_force": services.rule_set_on(),
        "versions": versions,
        "may_set": may_set,
        "en": _english(),
        "document": request.POST.get("document") or json.dumps(to_document(shown), ensure_ascii=False, indent=2),
        "errors": errors,
    }
    return render(request, "credit/rules.html", context, status=status)
