from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "jiliang.institutions"
    label = "institutions"
    verbose_name = _("计量技术机构能力与监督")

    def ready(self):
        from jiliang.audit.services import track

        from . import models

        for model in (models.Declaration, models.SupervisionVisit, models.VisitFinding, models.Evaluation):
            track(model)
