from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalculationsConfig(AppConfig):
    """The pure-core calculators (uncertainty, comparison statistics, net content) over HTTP."""

    name = "jiliang.calculations"
    label = "calculations"
    verbose_name = _("计算工具")
