"""Number formatting for comparison tables: significant digits, a dash for "no score"."""

from django import template
from django.utils.translation import gettext_lazy as _

from jiliang.core.numbers import short

register = template.Library()


@register.filter
def sig(value, digits=4):
    if value is None or value == "":
        return "—"
    try:
        return short(float(value), int(digits))
    except (TypeError, ValueError):
        return "—"


# ISO 13528:2022 §9 performance evaluation, in GB/T 28043's words (满意/有问题/不满意).
VERDICT_LABELS = {"satisfactory": _("满意"), "questionable": _("有问题"), "unsatisfactory": _("不满意")}


@register.filter
def verdict_label(verdict):
    return VERDICT_LABELS.get(verdict, verdict)


# The reference-value estimators of jiliang.core.comparison.document.ESTIMATORS, by name.
ESTIMATOR_LABELS = {
    "weighted-mean": _("加权平均值"),
    "cox-a": _("Cox 程序 A"),
    "mean": _("算术平均值"),
    "median": _("中位值"),
    "dersimonian-laird": _("DerSimonian–Laird 随机效应法"),
    "paule-mandel": _("Paule–Mandel 法"),
    "algorithm-a": _("稳健统计算法 A（ISO 13528 附录 C.3）"),
    "power-moderated-mean": _("幂调节加权平均值"),
}


@register.filter
def estimator_label(estimator):
    return ESTIMATOR_LABELS.get(estimator, estimator)
