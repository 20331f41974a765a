from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "jiliang.federation"
    label = "federation"
    verbose_name = _("联邦与国家计量数据中心")

    def ready(self):
        # The built-in record kinds register their handlers (other apps add theirs the same way).
        from jiliang.certificates import views as certificate_pages
        from jiliang.traceability import services as traceability

        from . import handlers  # noqa: F401
        from .chains import extend_local_chain

        if extend_local_chain not in traceability.CHAIN_EXTENSIONS:
            traceability.CHAIN_EXTENSIONS.append(extend_local_chain)
        # The certificate check answers any number the federated index holds.
        from .views import check_number

        certificate_pages.register_number_check(check_number)
