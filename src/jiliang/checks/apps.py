from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecksConfig(AppConfig):
    name = "jiliang.checks"
    label = "checks"
    verbose_name = _("稳定性考核与期间核查")

    def ready(self):
        from jiliang.registry import timeline

        from .timeline import check_entries

        timeline.register(check_entries)
