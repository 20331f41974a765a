from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "jiliang.audit"
    label = "audit"
    verbose_name = _("审计台账")

    def ready(self):
        from .capture import track_default_models  # models load only once the apps are ready

        track_default_models()
