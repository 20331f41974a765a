"""Template filters of the verification pages."""

from django import template

register = template.Library()


@register.filter
def percent(rate, digits=1):
    """A rate in 0..1 as "92.5%"; "—" when there is none (no items in use)."""
    if rate is None or rate == "":
        return "—"
    return f"{100 * float(rate):.{int(digits)}f}%"
