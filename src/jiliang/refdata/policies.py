"""Who sees and works standard reference data, written once.

- Everyone, signed in or not, reads an approved version: it is published data meant to be
  cited (计量发展规划（2021—2035年）: 建设国家标准参考数据库, served to the public).
- The issuing organisation's staff import drafts of their datasets, correct them while
  drafts or returned, and submit them for review.
- Review and approval are the national administrator's (the national database is the
  State's), and never by the one who submitted the version (four eyes). Approval freezes
  the version (models.ImmutableVersion); a return sends it back for correction.

The rule that the approver is national and not the submitter is the platform's choice: no
published text we could find sets the procedure for 标准参考数据 (confirmed: false).
"""

from __future__ import annotations

from django.db.models import Q

from jiliang.policies import NATIONAL, STAFF, Actor, Policy, as_actor

from .models import Dataset, DatasetRow, DatasetVersion


def issues(actor: Actor, organisation_id: int | None) -> bool:
    """Whether the actor works for the issuing organisation (its institution staff)."""
    return actor.kind == STAFF and actor.organisation_id is not None and actor.organisation_id == organisation_id


class VersionPolicy(Policy):
    public = True
    scoped = True
    S = DatasetVersion.Status
    transitions = {
        "submit": ((S.DRAFT, S.RETURNED), S.SUBMITTED),
        "approve": ((S.SUBMITTED,), S.APPROVED),
        "return": ((S.SUBMITTED,), S.RETURNED),
    }

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        published = Q(status=DatasetVersion.Status.APPROVED)
        if actor.kind == STAFF and actor.organisation_id is not None:
            return queryset.filter(published | Q(dataset__issuer_id=actor.organisation_id))
        return queryset.filter(published)

    def may_view(self, actor: Actor, obj) -> bool:
        return obj.status == DatasetVersion.Status.APPROVED or actor.kind == NATIONAL or issues(actor, obj.dataset.issuer_id)

    def writable(self, actor: Actor, obj) -> bool:
        """Correcting a version: its issuer's, while it is not under review or approved."""
        editable = obj.status in (DatasetVersion.Status.DRAFT, DatasetVersion.Status.RETURNED)
        return editable and (actor.kind == NATIONAL or issues(actor, obj.dataset.issuer_id))

    def may_transition(self, actor: Actor, action: str, obj) -> bool:
        if action == "submit":
            return actor.kind == NATIONAL or issues(actor, obj.dataset.issuer_id)
        # approve / return: a national administrator who did not submit it.
        return actor.kind == NATIONAL and (actor.user_id is None or actor.user_id != obj.submitted_by_id)

    def may_import(self, actor: Actor, issuer_id: int | None) -> bool:
        """A new dataset or a new version of one: its issuer's staff, or the nation."""
        return actor.kind == NATIONAL or issues(actor, issuer_id)

    def sees_drafts(self, actor: Actor) -> bool:
        """The review list (the navigation asks this)."""
        return actor.kind == NATIONAL or (actor.kind == STAFF and actor.organisation_id is not None)


class DatasetPolicy(Policy):
    """A dataset is listed once any version of it is published (or to who may see a draft)."""

    scoped = True

    def visible(self, actor: Actor, queryset):
        versions = VERSIONS.visible(actor, DatasetVersion.objects.all())
        return queryset.filter(pk__in=versions.values("dataset_id"))


class RowPolicy(Policy):
    scoped = True

    def visible(self, actor: Actor, queryset):
        return queryset.filter(version__in=VERSIONS.visible(actor, DatasetVersion.objects.all()))

    def writable(self, actor, obj) -> bool:
        return VERSIONS.writable(actor, obj.version)


VERSIONS = VersionPolicy()
DATASETS = DatasetPolicy()
ROWS = RowPolicy()
_POLICIES = {Dataset: DATASETS, DatasetVersion: VERSIONS, DatasetRow: ROWS}


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return _POLICIES[model]


def allowed_actions(who, version: DatasetVersion) -> list[str]:
    return VERSIONS.allowed_actions(as_actor(who), version)
