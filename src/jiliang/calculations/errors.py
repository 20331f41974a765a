"""The core's error reasons in the page's language.

``jiliang.core.uncertainty`` raises ``ModelError(field, reason)`` with an English reason (the
CLI and the API print it as it is). The page speaks Chinese first: each known reason is
matched here and rewritten through gettext, keeping the details (the name, the value given).
A reason not listed stays in English rather than being lost.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

_RULES = [
    (r"is required", _("必填")),
    (r"must be a number, got (?P<got>.+)", _("必须是数字（输入值 %(got)s）")),
    (r"must be finite, got (?P<got>.+)", _("必须是有限数值（输入值 %(got)s）")),
    (r"must not be negative, got (?P<got>.+)", _("不能为负数（输入值 %(got)s）")),
    (r"must be positive, got (?P<got>.+)", _("必须为正数（输入值 %(got)s）")),
    (r"unknown unit (?P<unit>.+) \(\w+\)", _("无法识别的单位 %(unit)s")),
    (r"an input needs a distribution; use constants for exact values", _("输入量须给出分布；准确已知的量请写作常量")),
    (r"must be an object", _("须为对象（名称到取值的映射）")),
    (r"needs a list of at least two numbers", _("至少需要两个观测值")),
    (r"must contain only (?:finite )?numbers", _("只能包含有限的数字")),
    (r"unknown distribution (?P<got>.+?); use one of .*", _("未知的分布 %(got)s")),
    (r"must not be below lower \((?P<detail>.+)\)", _("上限不能低于下限（%(detail)s）")),
    (r"is required for a normal distribution \(or U with k\)", _("正态分布须给出标准不确定度 u（或 U 与 k）")),
    (r"must lie in \[0, 1\], got (?P<got>.+)", _("须在 0 到 1 之间（输入值 %(got)s）")),
    (r"must not exceed half_width \((?P<detail>.+)\)", _("不能超过半宽（%(detail)s）")),
    (r"is required for a t distribution(?: \(or scale\))?", _("t 分布须给出此项")),
    (r"a t distribution with dof <= 2 has no finite standard uncertainty; give its scale instead of u",
     _("自由度不大于 2 的 t 分布没有有限的标准不确定度；请改为给出尺度参数 scale")),
    (r"an exponential distribution needs a positive mean, got (?P<got>.+)", _("指数分布的均值须为正数（输入值 %(got)s）")),
    (r"(?P<name>.+) is not a valid name \(letters, digits, underscore\)", _("%(name)s 不是有效的名称（只能用字母、数字和下划线，且不以数字开头）")),
    (r"(?P<name>.+) is reserved \(a function or constant name\)", _("%(name)s 是保留名称（函数名或常数名）")),
    (r"(?P<name>.+) is already defined in (?P<section>\w+)", _("%(name)s 重复定义（已在 %(section)s 中）")),
    (r"unknown name (?P<name>.+) \(not an input, constant or derived quantity\)",
     _("未知名称 %(name)s：既不是输入量，也不是常量或导出量")),
    (r"circular definition: (?P<chain>.+)", _("循环定义：%(chain)s")),
    (r"unknown input (?P<name>.+)", _("未知的输入量 %(name)s")),
    (r"an input cannot be correlated with itself \((?P<name>.+)\)", _("输入量不能与自身相关（%(name)s）")),
    (r"correlation must lie in \[-1, 1\], got (?P<got>.+)", _("相关系数须在 -1 到 1 之间（输入值 %(got)s）")),
    (r"the correlation matrix is not positive semi-definite \(smallest eigenvalue (?P<eig>.+)\)",
     _("相关系数矩阵不是半正定矩阵（最小特征值 %(eig)s），这组相关系数不可能同时成立")),
    (r"must be a list of \[name, name, r\] triples|must be \[name, name, r\]", _("须写作“名称 名称 相关系数”")),
    (r"must lie strictly between 0 and 1, got (?P<got>.+)", _("须大于 0 且小于 1（输入值 %(got)s）")),
    (r"division by zero \((?P<expr>.+)\)", _("除以零（%(expr)s）")),
    (r"divisor (?P<expr>.+) can be zero: its distribution spans (?P<range>\[[^\]]*\]).*",
     _("除数 %(expr)s 可能为零：其取值范围 %(range)s 包含零")),
    (r"expected a non-empty expression string", _("须填写表达式")),
    (r"expression is too long", _("表达式过长")),
    (r"syntax error in (?P<text>.+): (?P<msg>.+)", _("表达式 %(text)s 有语法错误（%(msg)s）")),
    (r"unknown function (?P<name>.+?); allowed: (?P<allowed>.+)", _("未知函数 %(name)s；可用的函数：%(allowed)s")),
    (r"function (?P<name>.+) takes (?P<n>\d+) argument\(s\), got (?P<m>\d+)", _("函数 %(name)s 需要 %(n)s 个参数，实际给了 %(m)s 个")),
    (r"inconsistent units: (?P<detail>.+)", _("单位不一致：%(detail)s")),
    (r"the model gives (?P<got>.+), not convertible to (?P<want>.+)", _("模型给出的单位 %(got)s 无法换算为 %(want)s")),
    (r"too few trials \((?P<m>\d+)\) for a (?P<p>.+) coverage interval", _("试验次数 %(m)s 太少，不足以给出 %(p)s 包含区间")),
    (r"the Monte Carlo samples include non-finite values.*", _("蒙特卡洛样本中出现了非有限值（除以零，或函数超出定义域）")),
    (r"must be an integer >= 2, got (?P<got>.+)", _("须为不小于 2 的整数（输入值 %(got)s）")),
    (r"must be one of (?P<options>.+), got (?P<got>.+)", _("须为 %(options)s 之一（输入值 %(got)s）")),
    (r"must be a non-empty object of named inputs", _("至少需要一个有名称的输入量")),
    (r"must map output names to expressions", _("须给出输出量的名称和表达式")),
    (r"needs at least one output", _("至少需要一个输出量")),
    (r"the model document must be an object", _("模型文件须是一个对象（JSON 对象或 YAML 映射）")),
]
_COMPILED = [(re.compile(pattern, re.S), message) for pattern, message in _RULES]


def localise(reason: str) -> str:
    """The core's English ``reason`` in the active language (unchanged if not known)."""
    for pattern, message in _COMPILED:
        match = pattern.fullmatch(reason.strip())
        if match:
            return str(message) % match.groupdict(default="")
    return reason
