"""Who may do what to a comparison, and in which state: the workflow's one table.

``TRANSITIONS`` names each step of the comparison workflow (CCEM / APMP practice, JJF
1117-2010 计量比对规范 §5: protocol, circulation, submission, close, computation,
Draft A, Draft B, approval, publication), the states it may start from, and who takes it.
The services refuse a step outside its states (``require_state``); the pages show a
step's form or button only when ``allowed_actions`` holds it.

Reading (the seal on submitted values) is ``visibility``; this module is about acting.
"""

from __future__ import annotations

from django.utils.translation import gettext

from jiliang.messages import enumeration
from jiliang.policies import Actor, Policy, as_actor

from .errors import WorkflowError
from .models import Comparison
from .permissions import actor_organisations, administers_region

S = Comparison.Status

PILOT, ADMINISTRATOR, ORGANISER, PARTICIPANT = "pilot", "administrator", "organiser", "participant"

# action: (states it may start from, the state it leads to or None, who takes it)
TRANSITIONS: dict[str, tuple[tuple, str | None, str]] = {
    "schedule": ((S.DRAFT, S.OPEN), None, ORGANISER),
    "protocol": ((S.DRAFT, S.OPEN, S.CLOSED), None, ORGANISER),
    "measurand": ((S.DRAFT,), None, ORGANISER),
    "participant": ((S.DRAFT,), None, ORGANISER),
    "movement": ((S.DRAFT, S.OPEN, S.CLOSED), None, ORGANISER),
    "open": ((S.DRAFT,), S.OPEN, PILOT),
    "submit": ((S.OPEN,), None, PARTICIPANT),
    "close": ((S.OPEN,), S.CLOSED, PILOT),
    "compute": ((S.CLOSED, S.COMPUTED), S.COMPUTED, PILOT),
    "draft_a": ((S.COMPUTED, S.DRAFT_A), S.DRAFT_A, PILOT),
    "draft_b": ((S.DRAFT_A, S.DRAFT_B), S.DRAFT_B, PILOT),
    "approve": ((S.DRAFT_B,), S.APPROVED, ADMINISTRATOR),
    "publish": ((S.APPROVED,), S.PUBLISHED, ADMINISTRATOR),
}


class ComparisonPolicy(Policy):
    transitions = {action: (sources, target) for action, (sources, target, _) in TRANSITIONS.items()}

    def may_transition(self, actor: Actor, action: str, obj: Comparison) -> bool:
        return self.takes(actor, TRANSITIONS[action][2], obj)

    def takes(self, actor: Actor, who: str, comparison: Comparison) -> bool:
        organisations = {actor.organisation_id} if actor.kind == "institution_staff" and actor.organisation_id else set()
        pilot = comparison.pilot_id in organisations
        administrator = actor.reads_region_code(comparison.administrator_region.code) and not actor.read_only
        if who == PILOT:
            return pilot
        if who == ADMINISTRATOR:
            return administrator
        if who == ORGANISER:
            return pilot or administrator
        if who == PARTICIPANT:
            return bool(organisations) and comparison.participants.filter(institution_id__in=organisations).exists()
        return False

    def writable(self, actor, obj) -> bool:
        return self.takes(actor, ORGANISER, obj)

    def may_create(self, actor: Actor) -> bool:
        """Who may start a comparison (``services.create_comparison`` then checks the pilot
        and region chosen): an institution's staff, as its pilot; the national
        administration; a province's administration, for the local comparisons of its
        province (计量比对管理办法, 原国家质检总局令第107号: national comparisons by SAMR,
        local ones by the provincial bureau; JJF 1117-2010 §3). A city's or county's
        administration does not organise comparisons."""
        if actor.kind == "institution_staff":
            return actor.organisation_id is not None
        return actor.kind == "national" or (actor.kind == "region_admin" and len(actor.region_prefix) == 2)


POLICY = ComparisonPolicy()


def policy_for(model_or_obj) -> Policy:
    return POLICY


def require_state(comparison: Comparison, action: str) -> None:
    """Refuse a step the comparison's state does not allow (the table above)."""
    if not POLICY.in_state_for(action, comparison):
        names = enumeration(Comparison.Status(s).label for s in TRANSITIONS[action][0])
        raise WorkflowError(
            "status",
            gettext("比对的状态为“%(status)s”，此步骤要求状态为 %(needed)s")
            % {"status": comparison.get_status_display(), "needed": names},
        )


def allowed_actions(user_or_actor, comparison: Comparison) -> list[str]:
    return POLICY.allowed_actions(as_actor(user_or_actor), comparison)


def may_create(user_or_actor) -> bool:
    return POLICY.may_create(as_actor(user_or_actor))


def may_follow_up(user_or_actor) -> bool:
    """Follow-up actions are for institution staff, administrators and auditors."""
    actor = as_actor(user_or_actor)
    return actor.kind in ("institution_staff", "national", "region_admin", "auditor")


__all__ = [
    "POLICY",
    "TRANSITIONS",
    "ComparisonPolicy",
    "allowed_actions",
    "may_create",
    "may_follow_up",
    "require_state",
    "actor_organisations",
    "administers_region",
]
