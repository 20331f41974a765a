from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmcConfig(AppConfig):
    name = "jiliang.cmc"
    label = "cmc"
    verbose_name = _("校准测量能力与 KCDB")

    def ready(self):
        from jiliang.audit.services import track

        from . import models

        for model in (models.Claim, models.KcdbCmc, models.KcdbComparison):
            track(model)
