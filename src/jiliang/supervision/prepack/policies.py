"""A net-content inspection's lifecycle, written once: the states each step starts from
(JJF 1070-2023 §6–7: sampling, measurement, judgement; then the administration's approval
and publication), and who takes it (``permissions``). Services refuse a step outside its
states (``require_state``); pages show a step only when ``allowed_actions`` holds it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from jiliang.policies import Actor, Policy, as_actor

from . import permissions
from .models import Inspection

S = Inspection.Status

# action: (states it may start from, the state it leads to or None)
TRANSITIONS = {
    "measure": ((S.DRAFT, S.MEASURED), None),
    "judge": ((S.MEASURED,), S.JUDGED),
    "approve": ((S.JUDGED,), S.APPROVED),
    "publish": ((S.APPROVED,), S.PUBLISHED),
}
STEP_WORDS = {
    "measure": gettext_lazy("检验的状态为“%(status)s”，不能再录入测量数据"),
    "judge": gettext_lazy("只有已录入的检验可以判定；此次检验的状态为“%(status)s”"),
    "approve": gettext_lazy("只有已判定的检验可以批准；此次检验的状态为“%(status)s”"),
    "publish": gettext_lazy("只有已批准的检验可以公布；此次检验的状态为“%(status)s”"),
}


class InspectionPolicy(Policy):
    public = True  # published inspections are public (双随机、一公开)
    scoped = True
    transitions = TRANSITIONS

    def visible(self, actor: Actor, queryset):
        return permissions.visible(actor, queryset)

    def may_create(self, actor: Actor) -> bool:
        return permissions.may_inspect_somewhere(actor)

    def may_transition(self, actor: Actor, action: str, obj: Inspection) -> bool:
        if action in ("measure", "judge"):
            return permissions.may_work_on(actor, obj)
        return permissions.administers(actor, obj.producer.region.code)


POLICY = InspectionPolicy()


def policy_for(model_or_obj) -> Policy:
    return POLICY


def allowed_actions(who, inspection: Inspection) -> list[str]:
    return POLICY.allowed_actions(as_actor(who), inspection)


def require_state(inspection: Inspection, action: str, error) -> None:
    """Raise ``error("status", …)`` when the inspection's state does not allow the step."""
    if not POLICY.in_state_for(action, inspection):
        raise error("status", str(STEP_WORDS[action]) % {"status": inspection.get_status_display()})
