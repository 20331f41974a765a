from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The signed-in user's console: a dashboard per role and the site navigation."""

    name = "jiliang.console"
    label = "console"
    verbose_name = _("工作台")
