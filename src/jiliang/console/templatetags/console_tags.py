"""``{% site_navigation as nav %}``: the navigation groups for the page's user (base.html)."""

from django import template

from jiliang.console.navigation import navigation_for

register = template.Library()


@register.simple_tag(takes_context=True)
def site_navigation(context):
    request = context.get("request")
    if request is None:
        return {"role": "anonymous", "work": [], "public": []}
    return navigation_for(request)


@register.filter
def percent(value, digits=1):
    """A rate in [0, 1] as a percentage ("—" when there is none)."""
    if value is None or value == "":
        return "—"
    return f"{100 * float(value):.{int(digits)}f}%"
