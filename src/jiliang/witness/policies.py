"""Who sees what of the witness log. The log is a transparency log: its entries, tree heads,
the provinces' keys and the checkpoints a province published are public by design (anyone
may check them, RFC 9162 §1: "anyone can verify"). Refusals (a forged or rewritten
checkpoint as it arrived) are evidence for supervisors: the national administration and the
refused province's own administration and auditors. Nobody writes through a page: the log
grows only through the federation's checkpoint records (``services.accept_checkpoint``)."""

from __future__ import annotations

from jiliang.policies import NATIONAL, Actor, Policy

from .models import Refusal


class PublicLogPolicy(Policy):
    def writable(self, actor: Actor, obj) -> bool:
        return False


class RefusalPolicy(Policy):
    public = False
    scoped = True

    def sees_refusals(self, actor: Actor) -> bool:
        return actor.kind == NATIONAL or (actor.region_scoped and len(actor.region_prefix) <= 2)

    def visible(self, actor: Actor, queryset):
        if actor.kind == NATIONAL:
            return queryset
        if self.sees_refusals(actor):  # a province's administration (a city's is below the witness)
            return queryset.filter(province__startswith=actor.region_prefix)
        return queryset.none()

    def writable(self, actor: Actor, obj) -> bool:
        return False


LOG = PublicLogPolicy()
REFUSALS = RefusalPolicy()


def policy_for(model_or_obj) -> Policy:
    model = model_or_obj if isinstance(model_or_obj, type) else type(model_or_obj)
    return REFUSALS if issubclass(model, Refusal) else LOG
