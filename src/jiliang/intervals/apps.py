from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntervalsConfig(AppConfig):
    name = "jiliang.intervals"
    label = "intervals"
    verbose_name = _("检定/校准间隔")
