from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "jiliang.certificates"
    label = "certificates"
    verbose_name = _("数字证书")
