from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "jiliang.verification"
    label = "verification"
    verbose_name = _("强制检定")

    def ready(self):
        # Registrations and signed results are writes that matter: they go to the audit ledger.
        from jiliang.audit.services import track
        from jiliang.registry import services as registry_services

        from . import assignment, models

        track(models.Registration, status_field="status")
        track(models.VerificationRecord)
        # The one write service of events asks whether the performer is the institution
        # the instrument's registration was assigned to.
        registry_services.event_rule(assignment.assignment_refusals)
        registry_services.stored_event_rule(assignment.stored_assignment_refusals)
