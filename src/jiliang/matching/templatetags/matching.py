"""The matching inbox on any dashboard: ``{% load matching %}{% matching_inbox %}`` (the
dashboards need no view change; the policy decides whose messages are shown)."""

from django import template

from jiliang.policies import actor_for

register = template.Library()


@register.inclusion_tag("matching/_inbox.html", takes_context=True)
def matching_inbox(context):
    from jiliang.matching.services import unread

    request = context.get("request")
    actor = actor_for(getattr(request, "user", None))
    return {
        "matching_inbox": list(unread(actor, 10)) if actor.organisation_scoped else [],
        "csrf_token": context.get("csrf_token"),
    }
