"""Number formatting for comparison tables: significant digits, a dash for "no score"."""

from django import template

from jiliang.core.numbers import short

register = template.Library()


@register.filter
def sig(value, digits=4):
    if value is None or value == "":
        return "—"
    try:
        return short(float(value), int(digits))
    except (TypeError, ValueError):
        return "—"
