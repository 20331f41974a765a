from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "jiliang.verification"
    label = "verification"
    verbose_name = _("强制检定")

    def ready(self):
        # Registrations and signed results are writes that matter: they go to the audit ledger.
        from jiliang.audit.services import track

        from . import models

        track(models.Registration, status_field="status")
        track(models.VerificationRecord)
