"""Templates ask the record's policy, never a status string or a role name:

{% load policy_tags %}
{% allowed_actions inspection as actions %}
{% if "approve" in actions %}<form …>{% endif %}
{% may "change" standard as may_change %}
"""

from django import template

from jiliang.policies import actor_for, policy_of

register = template.Library()


def _actor(context):
    request = context.get("request")
    return actor_for(getattr(request, "user", None) if request is not None else context.get("user"))


@register.simple_tag(takes_context=True)
def allowed_actions(context, obj) -> list[str]:
    """The lifecycle actions the page's actor may take on ``obj`` now."""
    if obj is None:
        return []
    return policy_of(obj).allowed_actions(_actor(context), obj)


@register.simple_tag(takes_context=True)
def may(context, action: str, obj) -> bool:
    """Whether the page's actor may take ``action`` on ``obj``."""
    if obj is None:
        return False
    return policy_of(obj).may(_actor(context), action, obj)
