from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RefdataConfig(AppConfig):
    name = "jiliang.refdata"
    label = "refdata"
    verbose_name = _("标准参考数据")

    def ready(self):
        from jiliang.audit.services import track

        from . import models

        for model in (models.Dataset, models.DatasetVersion):
            track(model)
