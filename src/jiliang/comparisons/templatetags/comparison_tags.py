"""Number formatting for comparison tables: significant digits, a dash for "no score"."""

from django import template

register = template.Library()


@register.filter
def sig(value, digits=4):
    if value is None or value == "":
        return "—"
    try:
        return f"{float(value):.{int(digits)}g}"
    except (TypeError, ValueError):
        return "—"
