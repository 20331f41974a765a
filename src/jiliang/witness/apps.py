from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WitnessConfig(AppConfig):
    name = "jiliang.witness"
    label = "witness"
    verbose_name = _("诚信计量见证日志")
