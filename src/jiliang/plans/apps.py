from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "jiliang.plans"
    label = "plans"
    verbose_name = _("建设规划与指标")

    def ready(self):
        from jiliang.audit.services import track

        from . import gaps, models

        for model in (models.BuildingPlan, models.PlanEntry):
            track(model)
        gaps.register_default_sources()
