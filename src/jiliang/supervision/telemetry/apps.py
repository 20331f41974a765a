from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TelemetryConfig(AppConfig):
    name = "jiliang.supervision.telemetry"
    label = "telemetry"
    verbose_name = _("在线监测与预警")
