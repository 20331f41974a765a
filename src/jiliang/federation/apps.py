from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "jiliang.federation"
    label = "federation"
    verbose_name = _("联邦与国家计量数据中心")

    def ready(self):
        # The built-in record kinds register their handlers (other apps add theirs the same way).
        from . import handlers  # noqa: F401
