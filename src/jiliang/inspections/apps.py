from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "jiliang.inspections"
    label = "inspections"
    verbose_name = _("双随机抽查与专项检查")

    def ready(self):
        from jiliang.audit.services import track

        from . import models

        for model in (
            models.Target,
            models.Inspector,
            models.ConflictTie,
            models.Draw,
            models.Campaign,
            models.Inspection,
            models.ItemResult,
            models.Finding,
            models.Signoff,
            models.InspectionPhoto,
            models.RectificationOrder,
        ):
            track(model)
