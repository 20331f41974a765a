from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    name = "jiliang.assessment"
    label = "assessment"
    verbose_name = _("计量标准考核")

    def ready(self):
        # The files' tables go to the audit ledger (documents and signed certificates, binary,
        # are not: the certificate's hash is on its row, the ledger keeps the file's acts).
        from jiliang.audit.services import track
        from jiliang.certificates import views as certificate_pages
        from jiliang.registry import timeline

        from . import models, timeline_entries, views

        for model in (
            models.Application,
            models.Assignment,
            models.ItemResult,
            models.Finding,
            models.ChangeFiling,
            models.Assessor,
            models.AuthorityProfile,
        ):
            track(model)
        timeline.register(timeline_entries.assessment_history)
        certificate_pages.register_number_check(views.check_number)
