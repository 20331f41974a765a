"""Template helpers for the portal pages."""

from django import template

register = template.Library()


@register.filter
def percent(fraction, digits=3):
    """A relative uncertainty stored as a fraction, as per cent: 0.001 → "0.1%"."""
    if fraction is None or fraction == "":
        return ""
    try:
        return f"{float(fraction) * 100:.{int(digits)}g}%"
    except (TypeError, ValueError):
        return fraction
