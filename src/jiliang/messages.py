"""The messages of refusals, keyed by code: how the shell says an :class:`InputError`.

The core raises errors as data (``field``, ``code``, ``params``; see
:mod:`jiliang.core.errors`). This catalogue gives each code a Chinese message (the source
language, extracted by ``makemessages``) whose English translation lives in
``locale/en/LC_MESSAGES/django.po``. Pages and the API render through Django's gettext in
the request's language; the CLI, which runs without Django, reads the same compiled catalogue
with Python's :mod:`gettext`. A code without a message here is a test failure
(``tests/core/test_error_catalogue.py``), never a silent fall-back to English.
"""

from __future__ import annotations

import gettext as pygettext
import os
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from jiliang.core.errors import InputError

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def gettext_noop(message: str) -> str:
    """Marks a msgid for ``makemessages`` (which looks for this name); Django's own needs settings."""
    return message


# Codes that only say "invalid" (the default of a class whose raisers have not been given a
# code yet): their English reason is shown as it is.
GENERIC_CODES = frozenset({"invalid", "dcc_invalid", "comparison_invalid"})

CATALOGUE: dict[str, str] = {
    # ---- files the CLI reads
    "file_not_found": gettext_noop("找不到文件"),
    "file_is_directory": gettext_noop("是目录，不是文件"),
    "file_not_utf8": gettext_noop("不是 UTF-8 文本（第 %(byte)s 个字节无法解码）"),
    "file_bad_json": gettext_noop("JSON 格式错误（第 %(line)s 行）：%(msg)s"),
    "file_bad_yaml": gettext_noop("YAML 格式错误：%(msg)s"),
    # ---- numbers and shapes shared by every calculator
    "required": gettext_noop("必填"),
    "number_required": gettext_noop("必须是数字（输入值 %(got)s）"),
    "number_finite": gettext_noop("必须是有限数值（输入值 %(got)s）"),
    "number_out_of_range": gettext_noop("数值 %(number)s 超出双精度浮点数的范围"),
    "number_too_large": gettext_noop("超过 %(limit)s"),
    "must_be_positive": gettext_noop("必须为正数（输入值 %(got)s）"),
    "must_not_be_negative": gettext_noop("不能为负数（输入值 %(got)s）"),
    "must_be_object": gettext_noop("须为对象（名称到取值的映射）"),
    "must_be_boolean": gettext_noop("须为 true 或 false"),
    "one_of": gettext_noop("须为 %(options)s 之一（输入值 %(got)s）"),
    "integer_at_least": gettext_noop("须为不小于 %(minimum)s 的整数（输入值 %(got)s）"),
    "whole_number": gettext_noop("须为整数（输入值 %(got)s）"),
    "at_least": gettext_noop("不能小于 %(minimum)s（输入值 %(got)s）"),
    "in_unit_interval": gettext_noop("须在 0 到 1 之间（输入值 %(got)s）"),
    "open_unit_interval": gettext_noop("须大于 0 且小于 1（输入值 %(got)s）"),
    # ---- measurement models (JCGM 100 / 101)
    "model_not_object": gettext_noop("模型文件须是一个对象（JSON 对象或 YAML 映射）"),
    "inputs_empty": gettext_noop("至少需要一个有名称的输入量"),
    "constants_not_mapping": gettext_noop("须写作“名称: 数值”的映射"),
    "derived_not_mapping": gettext_noop("须写作“名称: 表达式”的映射"),
    "derived_list_entry": gettext_noop("每一项须写作“名称 = 表达式”"),
    "outputs_not_mapping": gettext_noop("须给出输出量的名称和表达式"),
    "outputs_empty": gettext_noop("至少需要一个输出量"),
    "unknown_unit": gettext_noop("无法识别的单位 %(unit)s"),
    "input_needs_distribution": gettext_noop("输入量须给出分布；准确已知的量请写作常量"),
    "observations_too_few": gettext_noop("至少需要两个观测值"),
    "observations_not_numbers": gettext_noop("只能包含有限的数字"),
    "unknown_distribution": gettext_noop("未知的分布 %(got)s"),
    "upper_below_lower": gettext_noop("上限不能低于下限（%(upper)s < %(lower)s）"),
    "normal_needs_u": gettext_noop("正态分布须给出标准不确定度 u（或 U 与 k）"),
    "d_exceeds_half_width": gettext_noop("不能超过半宽（%(d)s > %(half)s）"),
    "t_needs_dof": gettext_noop("t 分布须给出此项"),
    "t_needs_u": gettext_noop("t 分布须给出标准不确定度 u（或尺度参数 scale）"),
    "t_dof_too_small": gettext_noop("自由度不大于 2 的 t 分布没有有限的标准不确定度；请改为给出尺度参数 scale"),
    "exponential_needs_positive_mean": gettext_noop("指数分布的均值须为正数（输入值 %(got)s）"),
    "invalid_name": gettext_noop("%(name)s 不是有效的名称（只能用字母、数字和下划线，且不以数字开头）"),
    "reserved_name": gettext_noop("%(name)s 是保留名称（函数名或常数名）"),
    "name_taken": gettext_noop("%(name)s 重复定义（已在 %(section)s 中）"),
    "unknown_name": gettext_noop("未知名称 %(name)s：既不是输入量，也不是常量或导出量"),
    "circular_definition": gettext_noop("循环定义：%(chain)s"),
    "unknown_input": gettext_noop("未知的输入量 %(name)s"),
    "unknown_output": gettext_noop("未知的输出量 %(name)s"),
    "self_correlation": gettext_noop("输入量不能与自身相关（%(name)s）"),
    "correlation_range": gettext_noop("相关系数须在 -1 到 1 之间（输入值 %(got)s）"),
    "correlation_not_psd": gettext_noop("相关系数矩阵不是半正定矩阵（最小特征值 %(eig)s），这组相关系数不可能同时成立"),
    "correlations_not_list": gettext_noop("须写作“名称 名称 相关系数”"),
    "correlation_triple": gettext_noop("须写作“名称 名称 相关系数”"),
    "correlation_matrix_shape": gettext_noop("矩阵形式须给出 names 和同样大小的方阵 matrix"),
    "correlation_matrix_symmetric": gettext_noop("相关系数矩阵须对称"),
    "validation_digits": gettext_noop("须为 1 到 6 的整数"),
    "division_by_zero": gettext_noop("除以零（%(expr)s）"),
    "divisor_spans_zero": gettext_noop("除数 %(expr)s 可能为零：其取值范围 %(range)s 包含零"),
    "units_inconsistent": gettext_noop("单位不一致：%(detail)s"),
    "unit_not_convertible": gettext_noop("模型给出的单位 %(got)s 无法换算为 %(want)s"),
    "expression_empty": gettext_noop("须填写表达式"),
    "expression_too_long": gettext_noop("表达式过长（%(length)s 个字符，最多 %(limit)s 个）"),
    "expression_too_deep": gettext_noop("表达式嵌套过深（最多 %(limit)s 层）"),
    "expression_too_big": gettext_noop("表达式过大（最多 %(limit)s 项）"),
    "model_too_big": gettext_noop("代入导出量后表达式超过 %(limit)s 项，请简化模型"),
    "derivatives_too_big": gettext_noop("灵敏系数（偏导数）的表达式超过 %(limit)s 项，请简化模型"),
    "expression_syntax": gettext_noop("表达式 %(text)s 有语法错误（%(msg)s）"),
    "expression_literal": gettext_noop("表达式中只能写数字常量，不能写 %(literal)s"),
    "operator_not_allowed": gettext_noop("不允许使用运算符 %(operator)s"),
    "unknown_function": gettext_noop("未知函数 %(name)s；可用的函数：%(allowed)s"),
    "function_keywords": gettext_noop("函数 %(name)s 不接受关键字参数"),
    "function_arity": gettext_noop("函数 %(name)s 需要 %(n)s 个参数，实际给了 %(m)s 个"),
    "syntax_not_allowed": gettext_noop("表达式中不允许使用 %(syntax)s"),
    "evaluation_overflow": gettext_noop("在输入量的取值处无法计算：结果超出双精度浮点数的范围"),
    "evaluation_domain": gettext_noop("在输入量的取值处不是实数（例如负数开方，或函数超出定义域）"),
    "uncertainty_overflow": gettext_noop("在输入量的取值处，其不确定度超出双精度浮点数的范围"),
    "too_few_trials": gettext_noop("试验次数 %(m)s 太少，不足以给出 %(p)s 包含区间"),
    "api_trials_range": gettext_noop("接口上的试验次数须在 1 到 %(limit)s 之间（更多次数请用命令行）"),
    "too_many_trials": gettext_noop("试验次数 %(trials)s 过多，内存不足；最多 %(limit)s 次"),
    "time_limit": gettext_noop("蒙特卡洛计算超出本服务允许的时间，请减少试验次数"),
    "mc_non_finite": gettext_noop("蒙特卡洛样本中出现了非有限值（除以零，或函数超出定义域）"),
    # ---- conformity decisions (JCGM 106)
    "conformity_not_object": gettext_noop("须给出输出量名称到技术要求的映射"),
    "prior_needs_mean_u": gettext_noop("须给出过程分布的均值 mean 和标准不确定度 u"),
    "spec_needs_limit": gettext_noop("须给出下限或上限"),
    "spec_upper_below_lower": gettext_noop("上限须大于下限（%(upper)s ≤ %(lower)s）"),
    "guard_band_too_wide": gettext_noop("保护带 %(width)s 过宽，接受区间为空"),
    "unknown_decision_rule": gettext_noop("未知的判定规则 %(got)s；可用 simple 或 guard_band"),
    # ---- identifiers: GB 32100 credit codes, GB/T 2260 region codes, JJG/JJF codes
    "credit_code_character": gettext_noop(
        "第 %(position)s 位的字符 %(char)s 不允许使用（GB 32100 只用数字和除 I、O、Z、S、V 以外的大写字母）"
    ),
    "credit_code_not_text": gettext_noop("统一社会信用代码须为 18 个字符的文本"),
    "credit_code_length": gettext_noop("统一社会信用代码须为 18 位（输入 %(got)s 位）"),
    "credit_code_authority": gettext_noop("登记管理部门代码 %(got)s 不是 GB 32100 规定的代码"),
    "credit_code_region": gettext_noop("第 3–8 位须为 GB/T 2260 的六位行政区划代码"),
    "credit_code_check": gettext_noop("校验码为 %(got)s，应为 %(expected)s"),
    "region_code_format": gettext_noop("须为 GB/T 2260 的六位数字代码"),
    "region_code_province": gettext_noop("省级代码 00 不存在"),
    "specification_code_format": gettext_noop("编号格式应如 %(examples)s（国家、地方或部门的规程规范编号，或标准编号）"),
    "specification_code_issuer": gettext_noop("%(issuer)s 不是省级行政区的简称（地方编号写作 %(example)s）"),
    "specification_code_year": gettext_noop("年份 %(year)s 不合理"),
    # ---- comparisons
    "comparison_no_participants": gettext_noop("没有参加实验室"),
    "comparison_too_few": gettext_noop("比对至少需要 %(minimum)s 个实验室，实际 %(count)s 个"),
    "comparison_u_positive": gettext_noop("标准不确定度须为有限正数（输入值 %(got)s）"),
    "comparison_u_range": gettext_noop("标准不确定度 %(got)s 超出 [%(low)s, %(high)s]，其平方与权重 1/u² 无法表示"),
    "comparison_value_range": gettext_noop("测得值 %(got)s 超出 ±%(high)s，其平方无法表示"),
    "comparison_reference_not_finite": gettext_noop("按 %(estimator)s 计算的参考值不是有限数值"),
    "comparison_needs_u": gettext_noop("%(estimator)s 需要参加参考值计算的每个结果的标准不确定度"),
    "comparison_trials": gettext_noop("蒙特卡洛试验至少需要 2 次"),
    "comparison_alpha": gettext_noop("幂调节平均值的幂须在 [0, 2] 之间（输入值 %(got)s）"),
    "comparison_propagated_nonlinear": gettext_noop("“propagated”要求参考值是结果的线性组合；%(estimator)s 不是"),
    "comparison_algorithm_a_empty": gettext_noop("算法 A 至少需要一个结果"),
    "comparison_algorithm_a_finite": gettext_noop("算法 A 需要有限数值"),
    "comparison_reference_empty": gettext_noop("没有参加单位参与参考值的计算"),
    "comparison_correlation_range": gettext_noop("相关系数须在 -1 到 1 之间"),
    "comparison_entries": gettext_noop("须有 %(n)s 项，实际 %(got)s 项"),
    "comparison_rows_empty": gettext_noop("须为非空的参加单位结果列表"),
    "comparison_lab_empty": gettext_noop("实验室名称为空"),
    "comparison_lab_duplicate": gettext_noop("实验室名称重复"),
    "comparison_one_or_zero_any": gettext_noop("须为 1 或 0"),
    "comparison_one_or_zero": gettext_noop("须为 1 或 0（输入值 %(got)s）"),
    "comparison_cov_shape": gettext_noop("协方差须为 %(n)s×%(n)s 的对称矩阵"),
    "comparison_cov_diagonal": gettext_noop("对角线须等于每个参加单位的 u²"),
    "comparison_row_not_object": gettext_noop("第 %(index)s 行不是对象"),
    "comparison_unknown_column": gettext_noop("未知的列（可用的列：%(options)s）"),
    "comparison_row_no_lab": gettext_noop("第 %(index)s 行没有实验室名称"),
    "comparison_json_not_list": gettext_noop("JSON 输入须为对象列表"),
    "comparison_csv_empty": gettext_noop("CSV 输入为空"),
    "comparison_u_missing": gettext_noop("缺少标准不确定度；此估计方法需要每个结果的标准不确定度"),
    "comparison_column_missing": gettext_noop("CSV 表头中缺少此列"),
    "comparison_csv_cells": gettext_noop("CSV 第 %(line)s 行的单元格多于表头"),
    # ---- prepackaged goods (JJF 1070)
    "prepack_not_number": gettext_noop("须为数字（输入值 %(got)s）"),
    "prepack_not_list": gettext_noop("须为数字列表"),
    "prepack_edition_without_tables": gettext_noop(
        "%(rule)s：%(date)s 施行的是 %(edition)s，本平台没有该版本的表格（无法取得其公布文本）"
    ),
    "prepack_edition_unavailable": gettext_noop("%(rule)s：本平台没有 %(edition)s 的表格（无法取得其公布文本）"),
    "prepack_edition_not_in_force": gettext_noop(
        "%(rule)s：%(date)s 的检验按当时施行的版本（%(edition)s）判定，不能按 %(requested)s"
    ),
    "prepack_edition_use_default": gettext_noop("本平台没有 %(edition)s 的表格（无法取得其公布文本）；请使用 %(default)s"),
    "prepack_unknown_edition": gettext_noop("未知的版本 %(got)s；可用的版本：%(options)s"),
    "prepack_nominal_above_table": gettext_noop("标注净含量 %(got)s 超过表中最大的标注净含量（%(top)s g 或 mL）"),
    "prepack_batch_not_covered": gettext_noop("批量 %(got)s 不在 %(edition)s 抽样方案的范围内"),
    "prepack_negative_gross": gettext_noop("毛重为负数（%(got)s）"),
    "prepack_negative_tare": gettext_noop("皮重为负数（%(got)s）"),
    "prepack_negative_net": gettext_noop("净含量为负数（%(got)s）"),
    "prepack_empty": gettext_noop("不能为空"),
    "prepack_tare_count": gettext_noop("逐个皮重须每个毛重对应一个皮重：毛重 %(gross)s 个，皮重 %(tare)s 个"),
    "prepack_tare_sample_small": gettext_noop("平均皮重法至少需要称量 %(minimum)s 个空包装，实际 %(got)s 个"),
    "prepack_average_tare_refused": gettext_noop(
        "不允许使用平均皮重法：平均皮重 %(mean)s %(unit)s 超过 %(mean_fraction)s × Qn = %(mean_limit)s，"
        "且皮重标准差 %(sd)s 超过 %(sd_fraction)s × T = %(sd_limit)s；请逐个称量皮重"
    ),
    "prepack_shape": gettext_noop("形状须为（样本数, %(n)s），实际为 %(got)s"),
    "prepack_values_or_gross": gettext_noop("净含量（values）与毛重和皮重（gross、tare）只能给出其一"),
    "prepack_values_needed": gettext_noop("须给出净含量（values），或同时给出毛重和皮重（gross、tare）"),
    "prepack_sample_small": gettext_noop("样本只有 %(count)s 个单位，少于批量 %(batch)s 的抽样方案规定的样本量（n = %(n)s）"),
    "prepack_sample_large": gettext_noop("样本有 %(count)s 个单位，多于批量 %(batch)s 的抽样方案规定的样本量（n = %(n)s）"),
    "prepack_unknown_field": gettext_noop("未知的字段；可用的字段：%(options)s"),
    # ---- certificates (DCC)
    "xml_not_well_formed": gettext_noop("不是格式正确的 XML（%(detail)s）"),
    "xml_doctype": gettext_noop("DCC 中不允许出现 DOCTYPE 声明（DTD 或实体）"),
    "xml_schema_internal": gettext_noop("XML 模式校验器无法读取此文档（%(detail)s）"),
    "dcc_version_unsupported": gettext_noop("不支持 DCC 模式版本 %(version)s；支持的版本：%(supported)s"),
    "dcc_version_unreadable": gettext_noop(
        "无法读取 DCC 模式版本 %(version)s（命名空间 %(namespace)s）；仅能读取命名空间 https://ptb.de/dcc 中的文档（DCC 2.2.0 及以后）"
    ),
    "dcc_not_finite": gettext_noop("%(got)s 不是有限数值"),
    "dcc_mandatory_language_unused": gettext_noop("%(lang)s 不在所用语言（languages）之列"),
    "dcc_language_required": gettext_noop("至少需要一种语言"),
    "dcc_empty": gettext_noop("不能为空"),
    "dcc_country_code": gettext_noop("%(got)s 不是 ISO 3166-1 两字母国家代码"),
    "dcc_location_empty": gettext_noop("地点须至少给出城市、国家代码、邮政编码、街道之一"),
    "dcc_coverage_missing": gettext_noop(
        "给出扩展不确定度时，须同时给出包含因子 coverage_factor 和包含概率 coverage_probability"
    ),
    "dcc_probability_range": gettext_noop("包含概率须大于 0 且不大于 1（输入值 %(got)s）"),
    "dcc_sha256": gettext_noop("%(got)s 不是 SHA-256 十六进制摘要"),
    "dcc_results_empty": gettext_noop("至少需要一个结果"),
    "dcc_quantities_empty": gettext_noop("至少需要一个量"),
    "dcc_end_before_begin": gettext_noop("早于开始日期（begin_performance_date）"),
    "dcc_software_empty": gettext_noop("至少需要一项软件"),
    "dcc_items_empty": gettext_noop("至少需要一个校准对象"),
    "dcc_identifications_empty": gettext_noop("至少需要一个标识"),
    "dcc_resp_persons_empty": gettext_noop("至少需要一名责任人"),
    "dcc_measurement_results_empty": gettext_noop("至少需要一组测量结果"),
    "dcc_language_code": gettext_noop("%(got)s 不是 ISO 639-1 语言代码"),
    "dcc_label_missing": gettext_noop("缺少必需的文字标签"),
    "dcc_label_empty": gettext_noop("标签没有文字"),
    "dcc_language_unused": gettext_noop("语言 %(lang)s 不在所用语言（%(used)s）之列"),
    "dcc_label_mandatory_missing": gettext_noop("缺少必备语言 %(languages)s 的文字"),
    "dcc_expected_list": gettext_noop("须为列表（输入的是 %(got)s）"),
    "dcc_expected_label": gettext_noop("须为语言代码到文字的映射（输入的是 %(got)s）"),
    "dcc_expected_date": gettext_noop("%(got)s 不是 ISO 日期（YYYY-MM-DD）"),
    "dcc_expected_text": gettext_noop("须为文本（输入值 %(got)s）"),
    "dcc_expected_object": gettext_noop("须为对象（输入的是 %(got)s）"),
    "dcc_unknown_fields": gettext_noop("未知的字段：%(names)s"),
    "dcc_root_element": gettext_noop("根元素是 %(got)s，不是 dcc:digitalCalibrationCertificate"),
    "dcc_hash_needs_bytes": gettext_noop("哈希值按文件的字节计算，须传入字节"),
    "dcc_schema_invalid": gettext_noop("文件不符合 DCC %(version)s 模式：%(errors)s"),
    "xml_schema_missing": gettext_noop("缺少 %(url)s 的模式文件副本"),
    "dsi_bad_exponent": gettext_noop("si:unit %(unit)s：指数 %(exponent)s 不是数字"),
    "dsi_zero_exponent": gettext_noop("si:unit %(unit)s：指数为零"),
    "dsi_empty": gettext_noop("si:unit：单位字符串为空"),
    "dsi_unexpected_text": gettext_noop("si:unit %(unit)s：位置 %(position)s 处有无法识别的文字 %(got)s"),
    "dsi_tothe_braces": gettext_noop("si:unit %(unit)s：\\tothe 须带花括号中的指数"),
    "dsi_tothe_place": gettext_noop("si:unit %(unit)s：\\tothe 须紧跟在单位之后，且只能一次"),
    "dsi_no_argument": gettext_noop("si:unit %(unit)s：记号 %(token)s 不带参数"),
    "dsi_per_unit": gettext_noop("si:unit %(unit)s：\\per 之后须跟单位"),
    "dsi_two_prefixes": gettext_noop("si:unit %(unit)s：连续两个词头 %(token)s"),
    "dsi_unknown_token": gettext_noop("si:unit %(unit)s：未知的记号 %(token)s"),
    "dsi_no_prefix": gettext_noop("si:unit %(unit)s：单位 %(token)s 不能加词头（%(prefix)s）"),
    "dsi_prefix_alone": gettext_noop("si:unit %(unit)s：词头 %(prefix)s 之后没有单位"),
    "dsi_not_representable": gettext_noop("si:unit %(unit)s：无法换算 %(token)s"),
    "dsi_pint_unknown": gettext_noop("无法识别此单位"),
    "dsi_no_equivalent": gettext_noop("没有对应的 D-SI 单位"),
    "signing_method_unsupported": gettext_noop("不支持签名算法（SignatureMethod）%(uri)s"),
    "signing_time_zone": gettext_noop("须带时区"),
    "signing_key_kind": gettext_noop("须为 %(kind)s 私钥"),
    "signing_key_mismatch": gettext_noop("与签名证书不匹配"),
    "der_length": gettext_noop("不支持的长度编码"),
    "der_truncated": gettext_noop("数据不完整"),
    "der_empty_oid": gettext_noop("对象标识符为空"),
    "signing_private_key_passphrase": gettext_noop(
        "口令与私钥不符：已加密的私钥须给出口令，未加密的私钥不应给出口令（%(detail)s）"
    ),
    "signing_private_key_unreadable": gettext_noop("无法解密或读取（口令是否有误？）"),
    "signing_unparsable": gettext_noop("无法读取（%(detail)s）"),
    "signing_ca_algorithm": gettext_noop("%(ca)s 证书颁发机构只签发 %(ca)s 证书，不能签发 %(got)s 证书"),
    "signing_crl_issuer": gettext_noop("不是由给定的签发者签署的"),
    "signing_crl_untrusted": gettext_noop("不是由任何 --trust 证书签署的"),
    "signing_no_certificate": gettext_noop("未找到证书"),
    "signing_certificate_expired": gettext_noop("在签名时间 %(at)s 不在有效期内（有效期 %(start)s 至 %(end)s）"),
    "signing_passphrase_missing": gettext_noop("私钥已加密，但未给出口令"),
    "signing_passphrase_unexpected": gettext_noop("私钥未加密，却给出了口令"),
    "sm2_point_format": gettext_noop("须为未压缩的点（65 字节，04||x||y）"),
    "sm2_point_off_curve": gettext_noop("该点不在 SM2 曲线上"),
    "sm2_encryption_unsupported": gettext_noop("SM2 私钥的加密仅支持 %(what)s"),
    "sm2_not_pkcs8": gettext_noop("%(label)s 不是 PKCS#8 私钥"),
    "sm2_not_sm2_key": gettext_noop("不是 SM2 密钥"),
    "sm2_secret_length": gettext_noop("SM2 私钥须为 32 字节"),
    "sm2_spki_unreadable": gettext_noop("无法读取 SubjectPublicKeyInfo"),
    "sm2_not_public_key": gettext_noop("%(label)s 不是公钥"),
    "pem_missing": gettext_noop("未找到 PEM 块"),
    "pem_not_base64": gettext_noop("PEM 块不是 base64 编码"),
    "dcc_unit_no_dsi": gettext_noop("单位 %(unit)s 没有对应的 D-SI 写法（%(detail)s）"),
    "dcc_results_not_list": gettext_noop("须为结果行的列表"),
    "dcc_result_row_value": gettext_noop("结果行至少须给出测得值（value）"),
    "dcc_calibration_needs_results": gettext_noop("校准证书须给出测得值"),
    "dcc_time_not_iso": gettext_noop("%(got)s 不是 ISO 8601 日期时间"),
    "dcc_time_no_zone": gettext_noop("%(got)s 没有时区"),
    "env_not_set": gettext_noop("未设置环境变量 %(name)s"),
    # ---- stability and in-service checks (jiliang.checks)
    "check_individuals_one": gettext_noop("单值-移动极差图每次核查只记录一个测得值"),
    "check_standard_values_pair": gettext_noop("给定标准值须同时给出中心值 μ0 和标准差 σ0"),
    "check_values_list": gettext_noop("须为测得值列表"),
    "check_subgroup_size": gettext_noop("该核查计划的控制图每次核查需要 %(size)s 个测得值（实际 %(got)s 个）"),
    "check_date_future": gettext_noop("核查日期不能晚于今天（%(today)s）"),
    "check_date_repeat": gettext_noop("该核查计划在 %(date)s 已有同类记录"),
    "check_alert_answered": gettext_noop("该预警已于 %(date)s 处理"),
    # ---- credit records (jiliang.credit)
    "credit_rule_text": gettext_noop("须为文本"),
    "credit_rule_date": gettext_noop("须为 YYYY-MM-DD 格式的日期（输入值 %(got)s）"),
    "credit_rule_grades": gettext_noop("至少两个信用等级，由好到差排列"),
    "credit_rule_order": gettext_noop("分值下限须由好到差依次降低（输入值 %(got)s）"),
    "credit_rule_duplicate": gettext_noop("等级代码重复（%(got)s）"),
    "credit_rule_kinds": gettext_noop("须列出各类信用信息及其分值"),
    "credit_rule_past": gettext_noop("施行日期不能早于今天（%(today)s）：已评定的等级按当时的规则"),
    "credit_no_piece": gettext_noop("本单位信用记录中没有该信息（%(kind)s %(reference)s）"),
    "credit_request_open": gettext_noop("该信息（%(reference)s）已有待处理的申请"),
    "credit_not_repairable": gettext_noop("按信用分类规则 v%(version)s，%(kind)s 类信息不适用信用修复（计数期满后自动不再计入）"),
    "credit_repair_too_early": gettext_noop(
        "按信用分类规则 v%(version)s，该信息自 %(date)s 起（发生后 %(days)s 天）方可申请信用修复"
    ),
    "credit_decided": gettext_noop("该申请已于 %(date)s 作出决定"),
    "check_not_a_date": gettext_noop("不是日期（YYYY-MM-DD）：%(got)s"),
    # ---- random draws and inspections (docs/draws.md; jiliang.inspections)
    "draw_sample_spec": gettext_noop("须为抽取数量（整数）或比例（0 到 1 的小数，写作字符串，如 “0.05”）（输入值 %(got)s）"),
    "draw_population_list": gettext_noop("须为检查对象列表"),
    "draw_population_row": gettext_noop("检查对象须有整数 id 和信用风险分类 A–D"),
    "draw_duplicate": gettext_noop("检查对象 %(got)s 重复出现"),
    "draw_inspectors_list": gettext_noop("须为执法检查人员列表（id 与回避对象 excluded）"),
    "draw_strings": gettext_noop("随机种子和公开值须为字符串"),
    "draw_due_past": gettext_noop("计划抽取日期不能早于今天（%(today)s）"),
    "draw_population_empty": gettext_noop("检查对象名录库中没有符合条件的对象"),
    "draw_performed": gettext_noop("该抽查已于 %(date)s 抽取"),
    "draw_no_public_value": gettext_noop(
        "公示后审计台账尚无新记录：请输入公示后产生的外部公开值（如开奖号码），以免公开值在承诺时已知"
    ),
    "inspection_not_supervisor": gettext_noop("只有该地区的计量行政部门可以办理"),
    "inspection_not_assigned": gettext_noop("只有被抽中的执法检查人员可以在签署完成前记录和签署检查"),
    "inspection_unknown_item": gettext_noop("不是该类检查对象检查表中的检查项：%(got)s"),
    "inspection_items_missing": gettext_noop("签署前每个检查项都须有结论，尚缺：%(items)s"),
    "inspection_signed_twice": gettext_noop("%(name)s 已签署过该检查记录"),
    "inspection_not_publishable": gettext_noop("检查记录须由两名执法人员签署后，由计量行政部门公示结果"),
    "inspection_photo": gettext_noop("照片不符合要求：%(detail)s"),
    "campaign_dates": gettext_noop("结束日期不能早于开始日期"),
    "campaign_draw_kind": gettext_noop("随机抽取的对象类别与专项检查不一致"),
    # ---- witnessed ledgers (jiliang.witness)
    "witness_province_code": gettext_noop("省份须为 GB/T 2260 的两位代码"),
    "witness_public_key": gettext_noop("不是 PEM 格式的公钥（%(detail)s）"),
    "witness_malformed": gettext_noop("不是见证检查点（%(detail)s）"),
    "witness_no_province": gettext_noop("本实例未设置省份代码（JILIANG_PROVINCE）"),
    "witness_ledger_rewritten": gettext_noop("审计台账不再是此前 %(size)s 条记录检查点的延续：历史记录被改写"),
    "witness_ledger_shrank": gettext_noop("审计台账从 %(previous)s 条减少到 %(size)s 条"),
    "witness_province_mismatch": gettext_noop("检查点写的是省份 %(named)s，却由 %(sender)s 报送"),
    "witness_province_unknown": gettext_noop("省份 %(province)s 未在见证日志登记"),
    "witness_signature_invalid": gettext_noop("省份 %(province)s 的检查点签名不符（检查点被改动，或不是登记的密钥所签）"),
    "witness_no_tree_head": gettext_noop("日志没有大小为 %(size)s 的签名树头"),
    "witness_no_entry": gettext_noop("第 %(index)s 条不在大小为 %(size)s 的树中"),
    "witness_sizes_order": gettext_noop("第一棵树（%(first)s）不能大于第二棵树（%(second)s）"),
}


def _language(language: str | None) -> str:
    if language:
        return language
    from django.conf import settings

    if settings.configured:
        from django.utils.translation import get_language

        return get_language() or "zh-hans"
    return cli_language()


def cli_language() -> str:
    """The operator's language, from the environment as gettext reads it (English when unset or C)."""
    for name in ("JILIANG_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return value.split(":")[0]
    return "en"


def chinese(language: str) -> bool:
    return language.lower().replace("_", "-").startswith("zh")


def django_language(language: str) -> str:
    """The Django language code of an operator's locale (``zh_CN.UTF-8`` → ``zh-hans``)."""
    return "zh-hans" if chinese(language) else "en"


def enumeration(items) -> str:
    """Items listed as the active language lists them (顿号 in Chinese, commas in English)."""
    from django.utils.translation import get_language

    return ("、" if chinese(get_language() or "zh-hans") else ", ").join(str(i) for i in items)


@lru_cache(maxsize=4)
def _catalogue(language: str) -> pygettext.NullTranslations:
    return pygettext.translation("django", str(LOCALE_DIR), languages=[language], fallback=True)


def _translate(msgid: str, language: str) -> str:
    from django.conf import settings

    if settings.configured:
        from django.utils import translation

        with translation.override(language):
            return translation.gettext(msgid)
    return msgid if chinese(language) else _catalogue("en").gettext(msgid)


def translate(msgid: str, language: str | None = None) -> str:
    """``msgid`` (marked with :func:`gettext_noop`) in ``language``, with or without Django set up."""
    return _translate(msgid, _language(language))


def reason(exc: InputError, language: str | None = None) -> str:
    """The reason of ``exc`` (without where it is) in ``language`` (default: the active one)."""
    language = _language(language)
    template = CATALOGUE.get(exc.code)
    if template is None:
        return exc.reason
    params = defaultdict(str, {k: _shown(v) for k, v in exc.params.items()})
    return _translate(template, language) % params


def where(exc: InputError, language: str | None = None) -> str:
    """File, row and field of ``exc``, as the language writes them."""
    language = _language(language)
    parts = [exc.file] if exc.file else []
    if exc.row is not None:
        parts.append(_translate(gettext_noop("第 %(row)s 行"), language) % {"row": exc.row})
    lab = exc.params.get("lab")
    if lab is not None:
        parts.append(_translate(gettext_noop("实验室 %(lab)s"), language) % {"lab": lab})
    if exc.field:
        parts.append(exc.field)
    return ("，" if chinese(language) else ", ").join(parts)


def render(exc: InputError, language: str | None = None) -> str:
    """The whole refusal in one line: where, then why."""
    language = _language(language)
    place = where(exc, language)
    text = reason(exc, language)
    return f"{place}{'：' if chinese(language) else ': '}{text}" if place else text


def _shown(value) -> str:
    return repr(value) if isinstance(value, float) else str(value)  # the shortest text that reads back as the value
