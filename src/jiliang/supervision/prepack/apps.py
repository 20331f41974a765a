from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrepackConfig(AppConfig):
    name = "jiliang.supervision.prepack"
    label = "prepack"
    verbose_name = _("定量包装商品净含量")
