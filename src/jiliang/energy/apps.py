from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnergyConfig(AppConfig):
    name = "jiliang.energy"
    label = "energy"
    verbose_name = _("能源计量与碳计量")

    def ready(self):
        from jiliang.audit.services import track
        from jiliang.supervision.telemetry import rules as alert_rules

        from . import models
        from .rules import RULE_LABELS

        for model in (
            models.KeyUnit,
            models.Site,
            models.MeteringPoint,
            models.EnergyMeter,
            models.UnitMonth,
            models.Review,
            models.ReviewFinding,
        ):
            track(model)
        # The alert pages name the energy rules as they name their own (the alert workflow
        # is telemetry's; the rules are this app's).
        alert_rules.RULE_LABELS.update(RULE_LABELS)
