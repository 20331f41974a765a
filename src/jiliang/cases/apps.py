from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "jiliang.cases"
    label = "cases"
    verbose_name = _("行政处罚案件")

    def ready(self):
        # Every row of a case goes to the audit ledger: a status change is an entry of its own.
        from jiliang.audit.services import track

        from . import models

        track(models.Case, status_field="status")
        for model in (models.Evidence, models.Step, models.Reminder):
            track(model)
