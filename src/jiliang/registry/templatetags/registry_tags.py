"""Template helpers for the registry pages: links to records, labels from the models'
verbose names, and English names of reference data when the page is in English."""

from django import template
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiliang.core.numbers import short
from jiliang.registry import models
from jiliang.registry.views import object_url, opens_table, request_actor

register = template.Library()


@register.filter
def url_of(obj):
    """The detail page of a registry record, or "" when it has none."""
    return object_url(obj) or ""


@register.filter
def label(model_or_obj, field_name):
    """The verbose name of a model field: {{ opts_or_obj|label:"code" }}."""
    meta = getattr(model_or_obj, "_meta", model_or_obj)
    return meta.get_field(field_name).verbose_name


@register.filter
def local_name(obj):
    """``name_en`` for reference data (fields, quantities, catalog items) on English pages."""
    if (get_language() or "").startswith("en") and getattr(obj, "name_en", ""):
        return obj.name_en
    return getattr(obj, "name", obj)


NAVIGATION = [
    # (list url name, detail url name, label)
    ("regions", "region", _("行政区划")),
    ("organisations", "organisation", _("机构")),
    ("specifications", "specification", _("技术规范")),
    ("catalog-items", "catalog-item", _("强检目录")),
    ("type-approvals", "type-approvals", _("型式批准")),
    ("primary-standards", "primary-standard", _("计量基准")),
    ("standards", "standard", _("计量标准")),
    ("reference-materials", "reference-material", _("标准物质")),
    ("instruments", "instrument", _("计量器具")),
    ("events", "event", _("检定/校准记录")),
]
# Tables whose pages are not open to everyone (the registry's policies say which).
PRIVATE_LISTS = {"instruments": models.Instrument, "events": models.CalibrationEvent}


@register.simple_tag(takes_context=True)
def navigation(context):
    """The registry lists for the site navigation, the current section marked."""
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match and match.namespace == "registry" else None
    actor = request_actor(request)
    return [
        {"url": reverse(f"registry:{list_name}"), "label": label_text, "active": current in (list_name, detail_name)}
        for list_name, detail_name, label_text in NAVIGATION
        if list_name not in PRIVATE_LISTS or opens_table(actor, PRIVATE_LISTS[list_name])
    ]


@register.filter
def sig(value, digits=6):
    """A number to ``digits`` significant digits (uncertainties span many decades)."""
    if value is None or value == "":
        return ""
    try:
        return short(float(value), int(digits))
    except (TypeError, ValueError):
        return value


@register.filter
def show(value):
    """A field value for reading: dates as ISO, booleans as 是/否, numbers to 6 digits."""
    import datetime as dt

    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return sig(value)
    if getattr(value, "name_en", None) is not None:
        return local_name(value)
    return value
