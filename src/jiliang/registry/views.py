"""Read-only pages to browse the registry: a home page, a searchable list for every table
and detail pages that link everything related.

Every page runs a bounded number of queries whatever the size of the registry: lists of
the large tables (instruments, events) page by key (no COUNT, no deep OFFSET), the other
lists count at most ``COUNT_CAP`` rows, and detail pages show the first rows of each
relation with a link to the full, filtered list.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import functools
from dataclasses import dataclass, field

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Max, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.views import View

from jiliang.policies import ANONYMOUS, NATIONAL, PUBLIC, Actor, actor_for

from . import filtersets, models, timeline, validity
from .policies import policy_for

PAGE_SIZE = 50
COUNT_CAP = 10_000
RELATED_LIMIT = 50
CHAIN_MAX_DEPTH = 8
CHAIN_DEVICES_PER_STANDARD = 10
CHAIN_STANDARDS_PER_LEVEL = 20


# ---------------------------------------------------------------------------- counting


def fast_count(queryset, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """(count, estimated): exact up to ``cap`` rows (a bounded subquery), an estimate above."""
    exact = queryset.order_by()[: cap + 1].count()  # no ORDER BY: a sort would read every row
    if exact <= cap:
        return exact, False
    return max(table_size_estimate(queryset.model), exact), True


def table_size_estimate(model) -> int:
    """The planner's row estimate on PostgreSQL, else the highest id (rows are appended)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [model._meta.db_table])
            row = cursor.fetchone()
        if row and row[0] and row[0] > 0:
            return int(row[0])
    return model.objects.aggregate(top=Max("id"))["top"] or 0


# ---------------------------------------------------------------------------- paging


class CappedPaginator(Paginator):
    """Page numbers over at most ``cap`` rows, counted with a LIMITed subquery."""

    cap = COUNT_CAP

    @cached_property
    def count(self):
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


@dataclass
class KeysetPage:
    """One page of a table paged by a unique, indexed key; no total is ever computed."""

    object_list: list
    next_cursor: str | None = None
    previous_cursor: str | None = None
    has_previous: bool = False


def keyset_page(queryset, key: str, descending: bool, params, size: int = PAGE_SIZE) -> KeysetPage:
    def cursor_value(raw):
        if raw in (None, ""):
            return None
        if key == "id":
            try:
                return int(raw)
            except ValueError:
                return None
        return raw

    forward, backward = ("lt", "gt") if descending else ("gt", "lt")
    order = f"-{key}" if descending else key
    reverse_order = key if descending else f"-{key}"
    after, before = cursor_value(params.get("after")), cursor_value(params.get("before"))
    if before is not None:
        rows = list(queryset.filter(**{f"{key}__{backward}": before}).order_by(reverse_order)[: size + 1])
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows,
            next_cursor=str(getattr(rows[-1], key)) if rows else None,
            previous_cursor=str(getattr(rows[0], key)) if rows and more_before else None,
            has_previous=bool(rows) and more_before,
        )
    if after is not None:
        queryset = queryset.filter(**{f"{key}__{forward}": after})
    rows = list(queryset.order_by(order)[: size + 1])
    more_after = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows,
        next_cursor=str(getattr(rows[-1], key)) if rows and more_after else None,
        previous_cursor=str(getattr(rows[0], key)) if rows and after is not None else None,
        has_previous=after is not None,
    )


# ---------------------------------------------------------------------------- links


URL_NAMES = {
    models.Region: ("registry:region", "code"),
    models.Organisation: ("registry:organisation", "pk"),
    models.Specification: ("registry:specification", "pk"),
    models.CatalogItem: ("registry:catalog-item", "code"),
    models.PrimaryStandard: ("registry:primary-standard", "pk"),
    models.MeasurementStandard: ("registry:standard", "pk"),
    models.ReferenceMaterial: ("registry:reference-material", "pk"),
    models.Instrument: ("registry:instrument", "pk"),
    models.CalibrationEvent: ("registry:event", "pk"),
}


def object_url(obj) -> str | None:
    entry = URL_NAMES.get(type(obj))
    if entry is None:
        return None
    actor = _page_actor.get()
    if actor is not None and not may_open(actor, obj):
        return None  # a link only where the page would open (not a 404 or a sign-in)
    name, attribute = entry
    return reverse(name, args=[getattr(obj, attribute)])


# ---------------------------------------------------------------------------- access
#
# Pages answer as the API does, from the same policies: a private table (instruments,
# events, people) sends an anonymous visitor to sign in and refuses a signed-in user
# without a role; a row outside the actor's scope is a 404; fields outside the policy's
# public ones are left out.

# The actor of the page being rendered, so that links (``object_url``, the ``url_of``
# filter) point only at pages the actor may open.
_page_actor: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("registry_page_actor", default=None)


class SignInRequired(Exception):
    pass


def request_actor(request) -> Actor:
    return actor_for(getattr(request, "user", None))


def opens_table(actor: Actor, model) -> bool:
    """Whether the actor may open the table's pages at all."""
    return policy_for(model).public or actor.kind not in (ANONYMOUS, PUBLIC)


def scope(actor: Actor, queryset):
    """The rows of a queryset the actor may see (none of a private table for the public)."""
    if not opens_table(actor, queryset.model):
        return queryset.none()
    return policy_for(queryset.model).visible(actor, queryset)


def readable(request, queryset):
    """The queryset scoped for the request's actor; refused outright for a private table."""
    actor = request_actor(request)
    if not opens_table(actor, queryset.model):
        if actor.kind == ANONYMOUS:
            raise SignInRequired()
        raise PermissionDenied()
    return policy_for(queryset.model).visible(actor, queryset)


def _open_cache(actor: Actor) -> dict:
    return actor.__dict__.setdefault("_page_cache", {})


def may_open(actor: Actor, obj) -> bool:
    """Whether the actor's detail page of ``obj`` would open (cached per actor and row;
    ``prefetch_openable`` answers for a page's rows in one query per table)."""
    model = type(obj)
    policy = policy_for(model)
    if (policy.public and not policy.scoped) or actor.kind == NATIONAL:  # every row
        return True
    if not opens_table(actor, model):
        return False
    cache = _open_cache(actor)
    key = (model, obj.pk)
    if key not in cache:
        cache[key] = policy.visible(actor, model._default_manager.filter(pk=obj.pk)).exists()
    return cache[key]


def prefetch_openable(actor: Actor, rows, visible: bool | None = None) -> None:
    """Answer ``may_open`` for many rows at once: ``visible`` True for rows already scoped
    by the policy (a list's page), else one query per table."""
    by_model: dict[type, set] = {}
    for row in rows:
        if row is not None:
            by_model.setdefault(type(row), set()).add(row.pk)
    cache = _open_cache(actor)
    for model, ids in by_model.items():
        if visible is None:
            policy = policy_for(model)
            shown = (
                set(policy.visible(actor, model._default_manager.filter(pk__in=ids)).values_list("pk", flat=True))
                if opens_table(actor, model)
                else set()
            )
        else:
            shown = ids if visible else set()
        cache.update({(model, pk): pk in shown for pk in ids})


def page(view):
    """A registry page: rendered for its actor, sending a visitor to sign in where needed."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        token = _page_actor.set(request_actor(request))
        try:
            with validity.one_snapshot():
                response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response
        except SignInRequired:
            return redirect_to_login(request.get_full_path())
        finally:
            _page_actor.reset(token)

    return wrapper


def list_url(name: str, **params) -> str:
    from urllib.parse import urlencode

    query = urlencode({k: getattr(v, "pk", v) for k, v in params.items()})
    return reverse(f"registry:{name}") + (f"?{query}" if query else "")


@dataclass
class FieldRow:
    label: str
    value: object
    url: str | None = None
    lang: str = ""  # "en" for an English name, so a Chinese page marks it as English text


def field_rows(obj, names: list[str], actor: Actor | None = None) -> list[FieldRow]:
    """Label and display value of each named field the actor may read (the policy's
    public fields unless it sees the row's private ones), with a link for related records."""
    if actor is not None:
        names = policy_for(obj).readable_fields(actor, obj, names)
    rows = []
    for name in names:
        model_field = obj._meta.get_field(name)
        if model_field.choices:
            value = getattr(obj, f"get_{name}_display")() if getattr(obj, name) not in (None, "") else None
        else:
            value = getattr(obj, name)
        url = object_url(value) if value is not None else None
        rows.append(FieldRow(model_field.verbose_name, value, url, "en" if name.endswith("_en") else ""))
    return rows


# ---------------------------------------------------------------------------- traceability


@dataclass
class DeviceCalibration:
    """A standard device with the calibration in force on the chain's date."""

    device: models.Instrument
    event: models.CalibrationEvent | None
    valid: bool
    sources: list = field(default_factory=list)  # standards used by that calibration
    on_date: dt.date | None = None
    verdict: dict | None = None  # the engine's verdict on the calibration that day
    shown: bool = True  # the actor may open the device and its calibration

    @property
    def after_date(self) -> bool:
        """The calibration shown was performed after the chain's date (no earlier record)."""
        return self.event is not None and self.on_date is not None and self.event.performed_on > self.on_date


@dataclass
class ChainLink:
    standard: models.MeasurementStandard
    depth: int
    in_force: bool
    calibrations: list = field(default_factory=list)
    verdict: dict | None = None  # the engine's verdict on the standard that day


@dataclass
class Chain:
    on_date: dt.date
    links: list = field(default_factory=list)
    primary_standards: list = field(default_factory=list)
    external_sources: list = field(default_factory=list)
    truncated: bool = False
    verdict: dict | None = None  # the engine's verdict on the chain's subject (event or standard)

    @property
    def levels(self):
        grouped: dict[int, list] = {}
        for link in self.links:
            grouped.setdefault(link.depth, []).append(link)
        return [grouped[d] for d in sorted(grouped)]


def events_with_sources(queryset):
    """Events with what the pages show of them: performer, specification and standards used."""
    return queryset.select_related("performer", "person", "specification", "primary_standard__holder").prefetch_related(
        Prefetch(
            "standard_links", queryset=models.EventStandard.objects.select_related("standard__holder").order_by("standard_id")
        )
    )


def upstream_chain(standard_ids, on_date: dt.date) -> Chain:
    """Walk up from standards: their devices, each device's calibration in force on
    ``on_date``, the standards that calibration used, … until primary standards.

    Four queries per level, at most CHAIN_MAX_DEPTH levels; cycles are cut."""
    chain = Chain(on_date=on_date)
    seen: set[int] = set()
    frontier = set(standard_ids)
    primaries: dict[int, models.PrimaryStandard] = {}
    for depth in range(CHAIN_MAX_DEPTH):
        frontier -= seen
        if not frontier:
            break
        if len(frontier) > CHAIN_STANDARDS_PER_LEVEL:
            frontier = set(sorted(frontier)[:CHAIN_STANDARDS_PER_LEVEL])
            chain.truncated = True
        seen |= frontier
        standards = list(models.MeasurementStandard.objects.filter(id__in=frontier).select_related("holder").order_by("id"))
        device_events = models.CalibrationEvent.objects.filter(instrument=OuterRef("pk"))
        in_force = device_events.filter(performed_on__lte=on_date).order_by("-performed_on", "-id").values("id")[:1]
        # Without a calibration on record before the date (history starts later), show the
        # first one after it, flagged, so the chain can still be followed upward.
        first_after = device_events.filter(performed_on__gt=on_date).order_by("performed_on", "id").values("id")[:1]
        devices = list(
            models.Instrument.objects.filter(standard_id__in=frontier)
            .annotate(chain_event_id=Coalesce(Subquery(in_force), Subquery(first_after)))
            .order_by("standard_id", "code")[: CHAIN_DEVICES_PER_STANDARD * len(frontier)]
        )
        event_ids = [d.chain_event_id for d in devices if d.chain_event_id]
        events = {e.id: e for e in events_with_sources(models.CalibrationEvent.objects.filter(id__in=event_ids))}
        devices_by_standard: dict[int, list] = {}
        for device in devices:
            devices_by_standard.setdefault(device.standard_id, []).append(device)
        next_frontier: set[int] = set()
        standard_verdicts = validity.standard_verdicts([s.id for s in standards], on_date)
        event_verdicts = validity.event_verdicts(list(events), on_date)
        for standard in standards:
            verdict = standard_verdicts[standard.id]
            link = ChainLink(standard, depth, verdict["valid"], verdict=verdict)
            for device in devices_by_standard.get(standard.id, []):
                event = events.get(device.chain_event_id)
                sources = [es.standard for es in event.standard_links.all()] if event else []
                event_verdict = event_verdicts[event.id] if event else None
                # A calibration after the date (no earlier record) is shown, but not as valid on the date.
                valid = bool(event_verdict and event_verdict["valid"]) and event.performed_on <= on_date
                link.calibrations.append(DeviceCalibration(device, event, valid, sources, on_date, verdict=event_verdict))
                next_frontier.update(s.id for s in sources)
                if event and event.primary_standard_id:
                    primaries[event.primary_standard_id] = event.primary_standard
                if event and event.external_source and event.external_source not in chain.external_sources:
                    chain.external_sources.append(event.external_source)
            chain.links.append(link)
        frontier = next_frontier
    else:
        chain.truncated = chain.truncated or bool(frontier - seen)
    chain.primary_standards = sorted(primaries.values(), key=lambda p: p.code)
    return chain


def chain_from_event(event: models.CalibrationEvent) -> Chain:
    """The chain above one event, as it stood on the event's date, with the engine's
    verdict on the event (its standards that day, the chain above, its own result)."""
    chain = upstream_chain([link.standard_id for link in event.standard_links.all()], event.performed_on)
    chain.verdict = validity.event_verdicts([event.id], event.performed_on)[event.id]
    if event.primary_standard_id and event.primary_standard not in chain.primary_standards:
        chain.primary_standards.insert(0, event.primary_standard)
    if event.external_source and event.external_source not in chain.external_sources:
        chain.external_sources.insert(0, event.external_source)
    return chain


# ---------------------------------------------------------------------------- home


@page
def home(request):
    tables = [
        ("regions", models.Region, _("行政区划")),
        ("organisations", models.Organisation, _("机构")),
        ("specifications", models.Specification, _("技术规范")),
        ("catalog-items", models.CatalogItem, _("强制管理计量器具目录")),
        ("type-approvals", models.TypeApproval, _("型式批准")),
        ("primary-standards", models.PrimaryStandard, _("计量基准")),
        ("standards", models.MeasurementStandard, _("计量标准")),
        ("reference-materials", models.ReferenceMaterial, _("标准物质")),
        ("instruments", models.Instrument, _("计量器具")),
        ("events", models.CalibrationEvent, _("检定/校准记录")),
    ]
    actor = request_actor(request)
    cards = []
    for name, model, title in tables:
        if not opens_table(actor, model):
            continue  # no card linking a page the visitor may not open
        count, estimated = fast_count(scope(actor, model.objects.all()))
        cards.append({"title": title, "url": reverse(f"registry:{name}"), "count": count, "estimated": estimated})
    return render(request, "registry/home.html", {"cards": cards})


# ---------------------------------------------------------------------------- lists


class RegistryListView(View):
    """A searchable, filterable list; answers HTMX requests with the results table only."""

    model = None
    filterset_class = None
    table_template = ""
    title = ""
    select_related: tuple = ()
    prefetch_related: tuple = ()
    # Keyset paging (large tables): the unique indexed key and its direction.
    keyset_key: str | None = None
    keyset_descending = False

    def get_queryset(self):
        queryset = self.model.objects.all()
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    @classmethod
    def as_view(cls, **initkwargs):
        return page(super().as_view(**initkwargs))

    def get(self, request):
        filterset = self.filterset_class(request.GET or None, queryset=readable(request, self.get_queryset()), request=request)
        queryset = filterset.qs
        context = {
            "title": self.title,
            "opts": self.model._meta,
            "filterset": filterset,
            "table_template": self.table_template,
            "list_url": request.path,
            "chips": self.active_hidden_filters(filterset, request),
        }
        if self.keyset_key:
            context["keyset"] = keyset_page(queryset, self.keyset_key, self.keyset_descending, request.GET)
            context["rows"] = context["keyset"].object_list
        else:
            paginator = CappedPaginator(queryset, PAGE_SIZE)
            try:
                page = paginator.page(request.GET.get("page") or 1)
            except PageNotAnInteger:
                page = paginator.page(1)
            except EmptyPage:
                page = paginator.page(paginator.num_pages)
            context.update(page=page, paginator=paginator, rows=page.object_list)
        # htmx swaps the results only; its history restore and full swaps want the whole page.
        partial = (
            request.headers.get("HX-Request") == "true"
            and request.headers.get("HX-Request-Type", "partial") == "partial"
            and not request.headers.get("HX-History-Restore-Request")
        )
        prefetch_openable(request_actor(request), context["rows"], visible=True)  # scoped by the policy above
        template = "registry/_results.html" if partial else "registry/list.html"
        response = render(request, template, context)
        patch_vary_headers(response, ["HX-Request", "HX-Request-Type", "HX-History-Restore-Request"])
        return response

    @staticmethod
    def active_hidden_filters(filterset, request):
        """Hidden id filters in force, each with the record it names and a link that drops it."""
        chips = []
        if not filterset.is_bound or not filterset.is_valid():
            return chips
        for name, form_field in filterset.form.fields.items():
            value = filterset.form.cleaned_data.get(name)
            if form_field.widget.is_hidden and value is not None:
                params = request.GET.copy()
                for dropped in (name, "after", "before", "page"):
                    params.pop(dropped, None)
                query = params.urlencode()
                chips.append(
                    {
                        "label": form_field.label,
                        "object": value,
                        "url": object_url(value),
                        "remove_url": request.path + (f"?{query}" if query else ""),
                    }
                )
        return chips


class RegionList(RegistryListView):
    model = models.Region
    filterset_class = filtersets.RegionFilterSet
    table_template = "registry/tables/regions.html"
    title = _("行政区划")
    select_related = ("parent",)


class OrganisationList(RegistryListView):
    model = models.Organisation
    filterset_class = filtersets.OrganisationFilterSet
    table_template = "registry/tables/organisations.html"
    title = _("机构")
    select_related = ("region",)


class SpecificationList(RegistryListView):
    model = models.Specification
    filterset_class = filtersets.SpecificationFilterSet
    table_template = "registry/tables/specifications.html"
    title = _("技术规范")
    select_related = ("field", "supersedes")


class CatalogItemList(RegistryListView):
    model = models.CatalogItem
    filterset_class = filtersets.CatalogItemFilterSet
    table_template = "registry/tables/catalog_items.html"
    title = _("强制管理计量器具目录")
    select_related = ("field", "regulation")


class TypeApprovalList(RegistryListView):
    """The type approval register (型式批准): checked on registration for items marked P or P+V."""

    model = models.TypeApproval
    filterset_class = filtersets.TypeApprovalFilterSet
    table_template = "registry/tables/type_approvals.html"
    title = _("型式批准")
    select_related = ("catalog_item",)


class PrimaryStandardList(RegistryListView):
    model = models.PrimaryStandard
    filterset_class = filtersets.PrimaryStandardFilterSet
    table_template = "registry/tables/primary_standards.html"
    title = _("计量基准")
    select_related = ("quantity", "holder")


class MeasurementStandardList(RegistryListView):
    model = models.MeasurementStandard
    filterset_class = filtersets.MeasurementStandardFilterSet
    table_template = "registry/tables/standards.html"
    title = _("计量标准")
    select_related = ("holder", "field")


class ReferenceMaterialList(RegistryListView):
    model = models.ReferenceMaterial
    filterset_class = filtersets.ReferenceMaterialFilterSet
    table_template = "registry/tables/reference_materials.html"
    title = _("标准物质")
    select_related = ("producer",)


class InstrumentList(RegistryListView):
    model = models.Instrument
    filterset_class = filtersets.InstrumentFilterSet
    table_template = "registry/tables/instruments.html"
    title = _("计量器具")
    select_related = ("catalog_item", "owner", "region")
    keyset_key = "code"

    def get_queryset(self):
        # Validity of the latest event, looked up per shown row through the (instrument, date) index.
        latest = models.CalibrationEvent.objects.filter(instrument=OuterRef("pk")).order_by("-performed_on", "-id")
        return super().get_queryset().annotate(latest_valid_until=Subquery(latest.values("valid_until")[:1]))


class CalibrationEventList(RegistryListView):
    model = models.CalibrationEvent
    filterset_class = filtersets.CalibrationEventFilterSet
    table_template = "registry/tables/events.html"
    title = _("检定/校准记录")
    select_related = ("instrument", "performer")
    keyset_key = "id"
    keyset_descending = True  # the newest records first, through the primary key

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch(
                    "standard_links", queryset=models.EventStandard.objects.select_related("standard").order_by("standard_id")
                )
            )
        )


# ---------------------------------------------------------------------------- details


def limited(queryset, limit: int = RELATED_LIMIT) -> tuple[list, bool]:
    """The first ``limit`` rows and whether there are more."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], len(rows) > limit


def list_link(actor: Actor, name: str, model, **params) -> str | None:
    """The URL of a filtered list, if the actor may open that list."""
    return list_url(name, **params) if opens_table(actor, model) else None


def with_verdicts(events, on_date: dt.date, actor: Actor | None = None) -> list:
    """Events (scoped for the actor) with ``verdict``: the engine's verdict on each as a
    certificate on the date; which of their instruments the actor may open is looked up
    for all at once."""
    if actor is not None:
        prefetch_openable(actor, events, visible=True)
        prefetch_openable(actor, [e.instrument for e in events])
    verdicts = validity.event_verdicts([e.id for e in events], on_date)
    for event in events:
        event.verdict = verdicts[event.id]
    return events


@page
def region_detail(request, code):
    actor = request_actor(request)
    region = get_object_or_404(models.Region.objects.select_related("parent__parent"), code=code)
    ancestors = []
    parent = region.parent
    while parent is not None:
        ancestors.insert(0, parent)
        parent = parent.parent if parent.parent_id else None
    children = list(region.children.order_by("code"))
    organisations, more_organisations = limited(region.organisations.order_by("name"), 100)
    return render(
        request,
        "registry/region_detail.html",
        {
            "region": region,
            "ancestors": ancestors,
            "children": children,
            "organisations": organisations,
            "more_organisations": more_organisations,
            "organisations_url": list_url("organisations", region=region),
            "instruments_url": list_link(actor, "instruments", models.Instrument, region=region),
            "standards_url": list_url("standards", region=region),
        },
    )


@page
def organisation_detail(request, pk):
    """Name, kind and region for everyone; the credit code, address, people, instruments
    and work of the organisation only to those the policy lets see them."""
    actor = request_actor(request)
    organisation = get_object_or_404(models.Organisation.objects.select_related("region"), pk=pk)
    private = policy_for(organisation).sees_private(actor, organisation)
    standards, more_standards = limited(
        scope(actor, organisation.standards.select_related("field").order_by("certificate_number")), 100
    )
    primary_standards = list(organisation.primary_standards.select_related("quantity").order_by("code")[:RELATED_LIMIT])
    materials, more_materials = limited(organisation.reference_materials.order_by("number"))
    people, more_people = (
        limited(
            scope(
                actor,
                organisation.people.order_by("name").prefetch_related(
                    Prefetch(
                        "qualifications",
                        queryset=models.Qualification.objects.select_related("catalog_item").order_by("kind", "valid_until"),
                    )
                ),
            ),
            100,
        )
        if private
        else ([], False)
    )
    instruments, more_instruments = limited(
        scope(actor, organisation.instruments.select_related("catalog_item", "region").order_by("code"))
    )
    performed, more_performed = limited(
        scope(actor, organisation.performed_events.select_related("instrument").order_by("-id")), 20
    )
    prefetch_openable(actor, instruments, visible=True)
    with_verdicts(performed, timezone.localdate(), actor)
    return render(
        request,
        "registry/organisation_detail.html",
        {
            "organisation": organisation,
            "private": private,
            "fields": field_rows(organisation, ["name", "credit_code", "kind", "region", "address"], actor),
            "standards": standards,
            "more_standards": more_standards,
            "standards_url": list_url("standards", holder=organisation),
            "primary_standards": primary_standards,
            "materials": materials,
            "more_materials": more_materials,
            "materials_url": list_url("reference-materials", producer=organisation),
            "people": people,
            "more_people": more_people,
            "instruments": instruments,
            "more_instruments": more_instruments,
            "instruments_url": list_link(actor, "instruments", models.Instrument, owner=organisation),
            "performed": performed,
            "more_performed": more_performed,
            "performed_url": list_link(actor, "events", models.CalibrationEvent, performer=organisation),
            "today": timezone.localdate(),
        },
    )


@page
def specification_detail(request, pk):
    actor = request_actor(request)
    spec = get_object_or_404(models.Specification.objects.select_related("field", "supersedes", "superseded_by"), pk=pk)
    catalog_items = list(spec.catalog_items.select_related("field").order_by("code"))
    standards, more_standards = limited(scope(actor, spec.standards.select_related("holder").order_by("certificate_number")), 100)
    superseded_by = getattr(spec, "superseded_by", None)
    return render(
        request,
        "registry/specification_detail.html",
        {
            "spec": spec,
            "fields": field_rows(spec, ["code", "title", "kind", "status", "field", "supersedes", "required_ratio"]),
            "superseded_by": superseded_by,
            "catalog_items": catalog_items,
            "standards": standards,
            "more_standards": more_standards,
            "standards_url": list_url("standards", specification=spec),
        },
    )


@page
def catalog_item_detail(request, code):
    actor = request_actor(request)
    item = get_object_or_404(models.CatalogItem.objects.select_related("field", "quantity", "regulation"), code=code)
    standards, more_standards = limited(
        scope(actor, item.standards.select_related("holder__region").order_by("certificate_number")), 100
    )
    fields = field_rows(
        item,
        [
            "code",
            "name",
            "name_en",
            "number",
            "category",
            "split",
            "field",
            "quantity",
            "supervision",
            "legal_purposes",
            "management_mode",
            "requirement",
            "regulation",
            "period_months",
            "service_life_years",
        ],
    )
    purposes_label = models.CatalogItem._meta.get_field("legal_purposes").verbose_name
    for row in fields:
        if row.label == purposes_label:  # the legal purposes by their names (计量法 第九条)
            row.value = "、".join(str(models.Instrument.Purpose(p).label) for p in item.purposes) or None
    return render(
        request,
        "registry/catalog_item_detail.html",
        {
            "item": item,
            "fields": fields,
            "type_approvals_url": list_url("type-approvals", catalog_item=item) if item.needs_type_approval else "",
            "standards": standards,
            "more_standards": more_standards,
            "standards_url": list_url("standards", catalog_item=item),
            "instruments_url": list_link(actor, "instruments", models.Instrument, catalog_item=item),
            "events_url": list_link(actor, "events", models.CalibrationEvent, catalog_item=item),
            "today": timezone.localdate(),
        },
    )


@page
def primary_standard_detail(request, pk):
    actor = request_actor(request)
    primary = get_object_or_404(models.PrimaryStandard.objects.select_related("quantity__field", "holder"), pk=pk)
    events, more_events = limited(
        scope(actor, primary.events.select_related("instrument__standard__holder", "performer").order_by("-id"))
    )
    return render(
        request,
        "registry/primary_standard_detail.html",
        {
            "primary": primary,
            "fields": field_rows(
                primary, ["code", "name", "quantity", "range_min", "range_max", "unit", "uncertainty", "k", "holder"]
            ),
            "events": with_verdicts(events, timezone.localdate(), actor),
            "more_events": more_events,
            "events_url": list_link(actor, "events", models.CalibrationEvent, primary_standard=primary),
            "today": timezone.localdate(),
        },
    )


@page
def standard_detail(request, pk):
    """A published standard is public: what it is, its capabilities, its certificate and
    status history, and whether the engine finds it in force today."""
    actor = request_actor(request)
    standard = get_object_or_404(
        readable(request, models.MeasurementStandard.objects.select_related("holder__region", "field", "issuing_department")),
        pk=pk,
    )
    today = timezone.localdate()
    downstream, more_downstream = limited(
        scope(
            actor,
            models.CalibrationEvent.objects.filter(standard_links__standard=standard)
            .select_related("instrument__owner", "instrument__standard", "performer")
            .order_by("-id"),
        ),
        20,
    )
    verdict = validity.standard_verdicts([standard.id], today)[standard.id]
    return render(
        request,
        "registry/standard_detail.html",
        {
            "standard": standard,
            "fields": field_rows(
                standard,
                [
                    "name",
                    "tier",
                    "level",
                    "rank",
                    "holder",
                    "field",
                    "certificate_number",
                    "issuing_department",
                    "valid_from",
                    "valid_until",
                    "status",
                    "published",
                    "recalibration_months",
                ],
                actor,
            ),
            "in_force": verdict["valid"],
            "verdict": verdict,
            "capabilities": list(standard.capabilities.select_related("quantity").order_by("quantity__name", "range_min")),
            "specifications": list(standard.specifications.order_by("code")),
            "catalog_items": list(standard.catalog_items.order_by("code")),
            # One standard's whole history: every app's part of it (registry.timeline).
            "history": timeline.history(standard, actor),
            "chain": shown_to(actor, upstream_chain([standard.id], today)),
            "downstream": with_verdicts(downstream, today, actor),
            "more_downstream": more_downstream,
            "downstream_url": list_link(actor, "events", models.CalibrationEvent, standard=standard),
            "devices_url": list_link(actor, "instruments", models.Instrument, standard=standard),
            "today": today,
        },
    )


@page
def reference_material_detail(request, pk):
    material = get_object_or_404(models.ReferenceMaterial.objects.select_related("producer"), pk=pk)
    return render(
        request,
        "registry/reference_material_detail.html",
        {
            "material": material,
            "fields": field_rows(material, ["number", "name", "level", "producer", "expires_on"]),
            "values": list(material.certified_values.order_by("component")),
            "today": timezone.localdate(),
        },
    )


def shown_to(actor: Actor, chain: Chain | None) -> Chain | None:
    """Mark which devices and calibrations of a chain the actor may open; the others are
    shown by their verdict only (an enterprise's device is not public)."""
    if chain is None:
        return None
    prefetch_openable(
        actor,
        [item for link in chain.links for cal in link.calibrations for item in (cal.device, cal.event)]
        + [link.standard for link in chain.links]
        + [source for link in chain.links for cal in link.calibrations for source in cal.sources],
    )
    for link in chain.links:
        for cal in link.calibrations:
            cal.shown = may_open(actor, cal.device) and (cal.event is None or may_open(actor, cal.event))
    return chain


@page
def instrument_detail(request, pk):
    actor = request_actor(request)
    instrument = get_object_or_404(
        readable(
            request,
            models.Instrument.objects.select_related(
                "catalog_item__field", "catalog_item__regulation", "owner", "region", "standard__holder"
            ),
        ),
        pk=pk,
    )
    today = timezone.localdate()
    events, more_events = limited(events_with_sources(scope(actor, instrument.events.order_by("-performed_on", "-id"))))
    latest = events[0] if events else None
    chain = chain_from_event(latest) if latest else None
    return render(
        request,
        "registry/instrument_detail.html",
        {
            "instrument": instrument,
            "fields": field_rows(
                instrument,
                [
                    "code",
                    "name",
                    "catalog_item",
                    "legal_purpose",
                    "owner",
                    "region",
                    "manufacturer",
                    "model",
                    "serial_number",
                    "type_approval_number",
                    "accuracy",
                    "range_min",
                    "range_max",
                    "unit",
                    "status",
                    "installed_on",
                    "verified_until",
                    "standard",
                ],
                actor,
            ),
            "events": with_verdicts(events, today, actor),
            "more_events": more_events,
            "events_url": list_url("events", instrument=instrument),
            "latest": latest,
            "chain": shown_to(actor, chain),
            # Traceable today: the engine's verdict on the instrument (its current event, the
            # standards that event used on its date, everything above them).
            "verdict": validity.item_verdicts([instrument.id], today)[instrument.id],
            "today": today,
        },
    )


@page
def event_detail(request, pk):
    actor = request_actor(request)
    event = get_object_or_404(
        readable(
            request,
            events_with_sources(models.CalibrationEvent.objects.select_related("instrument__owner", "instrument__standard")),
        ),
        pk=pk,
    )
    results = event.results if isinstance(event.results, list) else [event.results]
    result_rows = [row for row in results if isinstance(row, dict)]
    result_columns = list(dict.fromkeys(key for row in result_rows for key in row))
    today = timezone.localdate()
    verdict = validity.event_verdicts([event.id], today)[event.id]
    return render(
        request,
        "registry/event_detail.html",
        {
            "event": event,
            "fields": field_rows(
                event,
                [
                    "certificate_number",
                    "kind",
                    "instrument",
                    "performer",
                    "person",
                    "specification",
                    "performed_on",
                    # A verification's validity; a calibration's 建议复校日期 (each only when it has one).
                    *(["valid_until", "passed"] if event.kind == models.CalibrationEvent.Kind.VERIFICATION else []),
                    *(["recalibration_due"] if event.recalibration_due else []),
                    "uncertainty",
                    "primary_standard",
                    "external_source",
                ],
                actor,
            ),
            "in_force": verdict["valid"],
            "verdict": verdict,
            "result_columns": result_columns,
            "result_rows": [[row.get(c, "") for c in result_columns] for row in result_rows],
            "chain": shown_to(actor, chain_from_event(event)),
            "today": today,
        },
    )
