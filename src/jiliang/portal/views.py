"""Pages of the public portal (no login) and the administrators' complaint queue."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jiliang.accounts.throttling import client_address
from jiliang.policies import actor_for
from jiliang.registry.models import Capability, MeasurementStandard, Quantity

from . import services
from .forms import CapabilitySearchForm, ComplaintForm, HandleForm
from .models import Complaint
from .policies import POLICY as COMPLAINTS
from .search import search
from .services import open_complaints_count  # noqa: F401  (re-exported)

PAGE_SIZE = 25
QUEUE_PAGE_SIZE = 50


def _url_or_none(name: str) -> str | None:
    """Links to the other public pages, when their apps are mounted."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _partial(request) -> bool:
    """htmx swaps the results only; its history restore and full swaps want the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-Request-Type", "partial") == "partial"
        and not request.headers.get("HX-History-Restore-Request")
    )


def _page(request, queryset, size):
    paginator = Paginator(queryset, size)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def home(request):
    return render(
        request,
        "portal/home.html",
        {
            "form": CapabilitySearchForm(),
            "check_url": _url_or_none("certificates:check"),
            "comparisons_url": _url_or_none("comparisons:public"),
            "prepack_url": _url_or_none("prepack:public-list"),
            "quantities": Quantity.objects.order_by("field__code", "name"),
        },
    )


def capability_search(request):
    form = CapabilitySearchForm(request.GET or None)
    page = None
    searched = form.is_bound and form.is_valid()
    if searched:
        page = _page(request, search(form.query()), PAGE_SIZE)
    context = {"form": form, "page": page, "searched": searched, "list_url": request.path}
    template = "portal/_results.html" if _partial(request) else "portal/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Request-Type", "HX-History-Restore-Request"])
    return response


def standard_detail(request, pk):
    """The public face of a standard: what it can do and who holds it. Only standards the
    search may show (published, active, in their term) have one."""
    today = timezone.localdate()
    standard = get_object_or_404(
        MeasurementStandard.objects.select_related("holder", "holder__region", "field", "issuing_department"),
        pk=pk,
        published=True,
        status=MeasurementStandard.Status.ACTIVE,
        valid_from__lte=today,
        valid_until__gte=today,
    )
    capabilities = Capability.objects.filter(standard=standard).select_related("quantity").order_by("quantity__name", "range_min")
    return render(
        request,
        "portal/standard_detail.html",
        {
            "standard": standard,
            "capabilities": capabilities,
            "catalog_items": standard.catalog_items.order_by("code"),
            "specifications": standard.specifications.order_by("code"),
        },
    )


# ---------------------------------------------------------------- complaints (public)


@require_http_methods(["GET", "POST"])
def complaint_new(request):
    address = client_address(request)
    if request.method == "POST":
        if services.throttled(address):
            return render(request, "portal/throttled.html", status=429)
        services.count_attempt(address)
        # Refuse an oversized body before Django spools its files to disk.
        limit = services.max_photos() * services.max_photo_bytes() + 1024 * 1024
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            form = ComplaintForm(data={})  # bound, so that the error can be added
            form.add_error(
                "photos",
                _("照片总量过大：最多 %(n)d 张，每张不超过 %(mb)s MB")
                % {"n": services.max_photos(), "mb": f"{services.max_photo_bytes() / 2**20:g}"},
            )
            return render(request, "portal/complaint_form.html", {"form": form}, status=413)
        form = ComplaintForm(request.POST, request.FILES)
        if form.is_valid():
            complaint = form.file()
            if complaint is not None:
                services.count_filing(address)
                return redirect(reverse("portal:complaint-status") + f"?reference={complaint.reference}&filed=1")
    else:
        form = ComplaintForm(initial={"instrument_code": request.GET.get("instrument", "")[:32]})
    return render(request, "portal/complaint_form.html", {"form": form}, status=400 if form.errors else 200)


def complaint_status(request):
    """Where a complaint stands, by its reference: the status and, once handled, the
    handling note — the complainant is told the outcome (市场监督管理投诉举报处理暂行办法,
    总局令第20号, 第十四条、第二十一条、第三十一条: acceptance, the end of mediation and the
    decision on a report are each made known to the person who filed it); never the
    description, the contact or the photos."""
    reference = request.GET.get("reference", "").strip().upper()[:20]
    complaint = None
    if reference:
        complaint = (
            Complaint.objects.filter(reference=reference)
            .only("reference", "status", "filed_at", "handled_at", "handling_note")
            .first()
        )
    return render(
        request,
        "portal/complaint_status.html",
        {
            "reference": reference,
            "complaint": complaint,
            "filed": request.GET.get("filed") == "1",
        },
    )


# ---------------------------------------------------------------- complaints (administrators)


def _queue_actor(request):
    """Region administrators, auditors (read only) and national administrators work the queue."""
    actor = actor_for(request.user)
    if not COMPLAINTS.opens_queue(actor):
        raise PermissionDenied("the complaint queue is for administrators of a region")
    return actor


def _scoped(actor):
    return COMPLAINTS.visible(actor, Complaint.objects.all())


def _complaint_for(actor, reference) -> Complaint:
    complaint = get_object_or_404(
        Complaint.objects.select_related("instrument", "instrument__owner", "region", "handled_by"), reference=reference
    )
    if not COMPLAINTS.may_view(actor, complaint):
        raise PermissionDenied("this complaint concerns an instrument outside your region")
    return complaint


@login_required
def complaint_queue(request):
    actor = _queue_actor(request)
    status = request.GET.get("status", Complaint.Status.OPEN)
    complaints = _scoped(actor)
    # Two counts read from covering indexes; a GROUP BY over a province's rows is slower.
    total = complaints.count()
    open_count = complaints.filter(status=Complaint.Status.OPEN).count()
    counts = {Complaint.Status.OPEN: open_count, Complaint.Status.HANDLED: total - open_count}
    if status in Complaint.Status.values:
        complaints = complaints.filter(status=status)
    else:
        status = ""
    page = _page(request, complaints.select_related("instrument", "region").order_by("-filed_at", "-id"), QUEUE_PAGE_SIZE)
    return render(
        request,
        "portal/complaint_queue.html",
        {
            "page": page,
            "status": status,
            "tabs": [(value, label, counts.get(value, 0)) for value, label in Complaint.Status.choices],
            "total": total,
        },
    )


@login_required
def complaint_detail(request, reference):
    actor = _queue_actor(request)
    complaint = _complaint_for(actor, reference)
    return render(
        request,
        "portal/complaint_detail.html",
        {
            "complaint": complaint,
            "photos": complaint.photos.all(),
            "can_handle": COMPLAINTS.may(actor, "handle", complaint),
            "form": HandleForm(),
        },
    )


@login_required
@require_POST
def complaint_handle(request, reference):
    actor = _queue_actor(request)
    complaint = _complaint_for(actor, reference)
    if not COMPLAINTS.may_transition(actor, "handle", complaint):
        raise PermissionDenied("only the administrators of the instrument's region handle its complaints")
    form = HandleForm(request.POST)
    if form.is_valid():
        try:
            services.handle_complaint(
                complaint,
                user=request.user,
                note=form.cleaned_data["handling_note"],
                substantiated=form.cleaned_data["substantiated"],
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return redirect("portal:complaint", reference=complaint.reference)
    return render(
        request,
        "portal/complaint_detail.html",
        {
            "complaint": complaint,
            "photos": complaint.photos.all(),
            "can_handle": complaint.status == Complaint.Status.OPEN,
            "form": form,
        },
        status=400,
    )


@login_required
def complaint_photo(request, reference, photo_id):
    """Photos are evidence with personal details: served only to those who see the complaint."""
    actor = _queue_actor(request)
    complaint = _complaint_for(actor, reference)
    photo = complaint.photos.filter(pk=photo_id).first()
    if photo is None:
        raise Http404("no such photo")
    try:
        handle = photo.image.open("rb")
    except FileNotFoundError:
        raise Http404("the photo's file is missing") from None
    response = FileResponse(handle, content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response
