from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchingConfig(AppConfig):
    name = "jiliang.matching"
    label = "matching"
    verbose_name = _("供需对接")

    def ready(self):
        # A need, the request sent for it and the terms a provider publishes go to the audit
        # ledger (who asked whom, for what, on which terms); a status change is its own entry.
        from jiliang.audit.services import track
        from jiliang.plans.gaps import register_source

        from . import gaps, models

        track(models.Need, status_field="status")
        track(models.Request, status_field="status")
        track(models.ServiceTerms)
        # Unmet needs are gaps the building plan proposes standards for (jiliang.plans.gaps).
        register_source("matching", gaps.plan_gaps)
