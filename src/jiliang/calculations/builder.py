"""The model builder of the uncertainty page: form fields <-> a model document.

The page posts one measurand, its equation, a table of input rows (lists of equal length,
one per column) and a few text areas; :meth:`Builder.to_document` turns them into the
issue-4 model document that the CLI and the API take, and :meth:`Builder.apply_error` puts
the core's ``ModelError`` next to the field it names. Nothing here computes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from jiliang.core.errors import InputError
from jiliang.core.uncertainty import ModelError
from jiliang.messages import reason as localised_reason

MAX_ROWS = 200  # inputs on one page (the GUM core handles more through a model file)

DISTRIBUTIONS = [
    ("normal", _("正态")),
    ("rectangular", _("矩形（均匀）")),
    ("triangular", _("三角")),
    ("arcsine", _("反正弦（U 形）")),
    ("t", _("t 分布")),
    ("trapezoidal", _("梯形")),
    ("curvilinear_trapezoid", _("曲边梯形")),
    ("exponential", _("指数")),
    ("type_a", _("A 类（观测列）")),
]
DISTRIBUTION_LABELS = dict(DISTRIBUTIONS)
BOUNDED = ("rectangular", "triangular", "arcsine", "trapezoidal", "curvilinear_trapezoid")

COLUMNS = ("name", "distribution", "value", "u", "param", "dof", "unit")
COLUMN_LABELS = {
    "name": _("名称"),
    "distribution": _("分布"),
    "value": _("估计值"),
    "u": _("标准不确定度 u 或半宽 a"),
    "param": _("形状参数 β 或 d"),
    "dof": _("自由度 ν"),
    "unit": _("单位"),
}
FIELD_LABELS = {
    "measurand": _("被测量名称"),
    "measurand_unit": _("被测量单位"),
    "equation": _("测量模型"),
    "derived": _("导出量"),
    "constants": _("常量"),
    "correlations": _("相关系数"),
    "coverage_probability": _("包含概率"),
    "method": _("评定方法"),
    "trials": _("试验次数"),
    "seed": _("随机种子"),
    "document": _("模型文件"),
    "general": _("模型"),
}

# Keys of an input in the document -> the builder column that holds them.
_INPUT_KEY_COLUMN = {
    "value": "value",
    "observations": "value",
    "lower": "value",
    "upper": "value",
    "u": "u",
    "U": "u",
    "k": "u",
    "half_width": "u",
    "scale": "u",
    "dof": "dof",
    "degrees_of_freedom": "dof",
    "distribution": "distribution",
    "beta": "param",
    "d": "param",
    "unit": "unit",
}
_SEPARATORS = re.compile(r"[\s,;，；、]+")
_LINE = re.compile(r"^\s*([^=\s]+)\s*=\s*(.+?)\s*$")


def parse_number(text: str) -> float:
    """A number typed in a cell (full-width minus and ∞ allowed); ValueError if not."""
    text = text.strip().replace("−", "-").replace("＋", "+")
    if text.lower() in ("inf", "infinity", "∞"):
        return math.inf
    value = float(text)
    if math.isnan(value):
        raise ValueError(text)
    return value


def _fmt(x: float) -> str:
    """A number as the builder shows it: shortest repr, no trailing '.0'."""
    if math.isinf(x):
        return "∞"
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


@dataclass
class Row:
    name: str = ""
    distribution: str = "normal"
    value: str = ""
    u: str = ""
    param: str = ""
    dof: str = ""
    unit: str = ""
    errors: dict = field(default_factory=dict)

    def is_blank(self) -> bool:
        return not any(
            (self.name.strip(), self.value.strip(), self.u.strip(), self.param.strip(), self.dof.strip(), self.unit.strip())
        )


@dataclass
class Builder:
    measurand: str = "Y"
    measurand_unit: str = ""
    equation: str = ""
    rows: list[Row] = field(default_factory=list)
    derived: str = ""
    constants: str = ""
    correlations: str = ""
    coverage_probability: str = "0.95"
    errors: dict = field(default_factory=dict)  # top-level field -> message
    _row_of_name: dict = field(default_factory=dict, repr=False)
    _line_of: dict = field(default_factory=dict, repr=False)  # (section, key) -> line number
    _output_name: str = field(default="", repr=False)

    # ------------------------------------------------------------ building

    @classmethod
    def blank(cls, rows: int = 2) -> Builder:
        return cls(rows=[Row() for _i in range(rows)])

    @classmethod
    def from_post(cls, data) -> Builder:
        columns = {c: data.getlist(f"in_{c}") for c in COLUMNS}
        count = min(max((len(v) for v in columns.values()), default=0), MAX_ROWS)
        rows = []
        for i in range(count):
            cell = {c: (columns[c][i] if i < len(columns[c]) else "") for c in COLUMNS}
            rows.append(Row(**{c: str(v)[:2000] for c, v in cell.items()}))
        get = lambda key, default="": str(data.get(key, default))[:20000]  # noqa: E731
        return cls(
            measurand=get("measurand").strip(),
            measurand_unit=get("measurand_unit").strip(),
            equation=get("equation"),
            rows=rows,
            derived=get("derived"),
            constants=get("constants"),
            correlations=get("correlations"),
            coverage_probability=get("coverage_probability", "0.95").strip(),
        )

    @classmethod
    def from_document(cls, doc: dict, measurand_unit: str = "") -> Builder:
        """The builder filled from a single-output model document (the examples)."""
        ((name, spec),) = doc["outputs"].items()
        equation, unit = (spec["expression"], spec.get("unit", "")) if isinstance(spec, dict) else (spec, "")
        rows = []
        for input_name, item in doc["inputs"].items():
            row = Row(name=input_name, unit=item.get("unit", ""))
            if "observations" in item:
                row.distribution, row.value = "type_a", " ".join(_fmt(x) for x in item["observations"])
            else:
                kind = item.get("distribution", "normal")
                row.distribution = "curvilinear_trapezoid" if kind == "trapezoidal" and "d" in item else kind
                row.value = _fmt(item["value"])
                if kind in BOUNDED:
                    row.u = _fmt(item["half_width"])
                    row.param = (
                        _fmt(item["beta"] if "beta" in item else item["d"])
                        if kind in ("trapezoidal", "curvilinear_trapezoid")
                        else ""
                    )
                elif kind != "exponential":
                    row.u = _fmt(item["u"] if "u" in item else item["U"] / item["k"])
            if "dof" in item:
                row.dof = _fmt(item["dof"])
            rows.append(row)
        lines = lambda mapping: "\n".join(f"{k} = {v}" for k, v in mapping.items())  # noqa: E731
        return cls(
            measurand=name,
            measurand_unit=unit or measurand_unit,
            equation=equation,
            rows=rows,
            derived=lines(doc.get("derived", {})),
            constants=lines(doc.get("constants", {})),
            correlations="\n".join(f"{a} {b} {_fmt(r)}" for a, b, r in doc.get("correlations", [])),
            coverage_probability=_fmt(doc.get("coverage_probability", 0.95)),
        )

    # ------------------------------------------------------------ document

    def units_active(self) -> bool:
        """Units go to the core (pint) only when an input or a constant has one; otherwise
        the measurand's unit is a label for the results."""
        return any(r.unit.strip() for r in self.rows) or any(
            len(m.group(2).split(None, 1)) > 1 for m in map(_LINE.match, self.constants.splitlines()) if m
        )

    def to_document(self) -> dict | None:
        """The model document, or None with ``errors`` set on the offending fields."""
        doc: dict = {}
        name = self.measurand or "Y"
        self._output_name = name
        equation = self.equation.strip()
        if "=" in equation:  # "l = l_s + d" written out in full
            left, right = equation.split("=", 1)
            if left.strip() and left.strip() != name and self.measurand:
                self.errors["equation"] = _("等号左边的 %(left)s 与被测量名称 %(name)s 不一致") % {
                    "left": left.strip(),
                    "name": name,
                }
            name, equation = (left.strip() or name), right.strip()
        self._output_name = name
        if not equation:
            self.errors["equation"] = _("必填")
        use_units = self.units_active()
        doc["outputs"] = {
            name: ({"expression": equation, "unit": self.measurand_unit} if use_units and self.measurand_unit else equation)
        }

        inputs: dict = {}
        for i, row in enumerate(self.rows):
            if row.is_blank():
                continue
            item = self._input(row)
            key = row.name.strip()
            if not key:
                row.errors["name"] = _("必填")
            elif key in inputs:
                row.errors["name"] = _("名称 %(name)s 重复") % {"name": key}
            if not row.errors:
                inputs[key] = item
                self._row_of_name[key] = i
        if not inputs and not any(r.errors for r in self.rows):
            self.errors["general"] = _("至少需要一个输入量")
        doc["inputs"] = inputs

        derived = self._lines("derived")
        if derived:
            doc["derived"] = derived
        constants = self._constants(use_units)
        if constants:
            doc["constants"] = constants
        correlations = self._correlations()
        if correlations:
            doc["correlations"] = correlations
        text = self.coverage_probability.strip() or "0.95"
        percent = text.endswith(("%", "％"))  # "95 %" is 0.95; a bare 95 is left for the core to refuse
        try:
            p = parse_number(text.rstrip("%％"))
        except ValueError:
            self.errors["coverage_probability"] = _("必须是数字")
        else:
            doc["coverage_probability"] = p / 100.0 if percent else p
        return None if self.has_errors() else doc

    def _input(self, row: Row) -> dict:
        kind = row.distribution if row.distribution in DISTRIBUTION_LABELS else None
        if kind is None:
            row.errors["distribution"] = _("未知的分布")
            return {}
        item: dict = {}
        if kind == "type_a":
            parts = [p for p in _SEPARATORS.split(row.value) if p]
            try:
                item["observations"] = [parse_number(p) for p in parts]
            except ValueError:
                row.errors["value"] = _("A 类评定请在估计值栏填写观测列（以空格或逗号分隔的数字）")
            else:
                if len(parts) < 2:
                    row.errors["value"] = _("至少需要两个观测值")
        else:
            item["value"] = self._number(row, "value")
            item["distribution"] = kind
            if kind in ("normal", "t"):
                item["u"] = self._number(row, "u")
            elif kind in BOUNDED:
                item["half_width"] = self._number(row, "u")
            if kind == "trapezoidal":
                item["beta"] = self._number(row, "param")
            elif kind == "curvilinear_trapezoid":
                item["d"] = self._number(row, "param")
        if row.dof.strip():
            try:
                dof = parse_number(row.dof)
            except ValueError:
                row.errors["dof"] = _("必须是数字")
            else:
                if not math.isinf(dof):
                    item["dof"] = dof
        elif kind == "t":
            row.errors["dof"] = _("t 分布须给出自由度")
        if row.unit.strip():
            item["unit"] = row.unit.strip()
        return item

    @staticmethod
    def _number(row: Row, column: str) -> float | None:
        text = getattr(row, column)
        if not text.strip():
            row.errors[column] = _("必填")
            return None
        try:
            value = parse_number(text)
        except ValueError:
            row.errors[column] = _("必须是数字（输入值 %(got)s）") % {"got": text.strip()}
            return None
        if math.isinf(value):
            row.errors[column] = _("必须是有限数值")
            return None
        return value

    def _lines(self, section: str) -> dict:
        out = {}
        for number, line in enumerate(getattr(self, section).splitlines(), 1):
            if not line.strip():
                continue
            match = _LINE.match(line)
            if not match:
                self.errors[section] = _("第 %(line)s 行应写作“名称 = 表达式”") % {"line": number}
                return {}
            out[match.group(1)] = match.group(2)
            self._line_of[(section, match.group(1))] = number
        return out

    def _constants(self, use_units: bool) -> dict:
        out = {}
        for name, text in self._lines("constants").items():
            value_text, _sep, unit = text.partition(" ")
            try:
                value = parse_number(value_text)
            except ValueError:
                line = self._line_of[("constants", name)]
                self.errors["constants"] = _("第 %(line)s 行：%(name)s 的值必须是数字") % {"line": line, "name": name}
                continue
            out[name] = {"value": value, "unit": unit.strip()} if use_units and unit.strip() else value
        return out

    def _correlations(self) -> list:
        out = []
        for number, line in enumerate(self.correlations.splitlines(), 1):
            parts = [p for p in _SEPARATORS.split(line) if p]
            if not parts:
                continue
            try:
                if len(parts) != 3:
                    raise ValueError
                r = parse_number(parts[2])
            except ValueError:
                self.errors["correlations"] = _("第 %(line)s 行应写作“名称 名称 相关系数”，如 V R 0.3") % {"line": number}
                return []
            self._line_of[("correlations", len(out))] = number
            out.append([parts[0], parts[1], r])
        return out

    # ------------------------------------------------------------ errors

    def has_errors(self) -> bool:
        return bool(self.errors) or any(r.errors for r in self.rows)

    def apply_error(self, exc: ModelError) -> None:
        """Put the core's error next to the field its dotted path names."""
        path = getattr(exc, "field", "") or ""
        reason = localised_reason(exc) if isinstance(exc, InputError) else str(exc)
        head, _dot, rest = path.partition(".")
        if head == "inputs" and rest:
            # Input names may not be identifiers (the error may be about just that): match the rows.
            for name in sorted(self._row_of_name, key=len, reverse=True):
                if rest == name or rest.startswith(name + "."):
                    key = rest[len(name) + 1 :]
                    column = _INPUT_KEY_COLUMN.get(key, "name") if key else "name"
                    self.rows[self._row_of_name[name]].errors[column] = reason
                    return
        section = re.match(r"^(\w+)(?:\[(\d+)\])?", path)
        section, index = (section.group(1), section.group(2)) if section else ("", None)
        if section == "outputs":
            about_name = getattr(exc, "reason", "").startswith(repr(self._output_name))
            self.errors["measurand_unit" if path.endswith(".unit") else "measurand" if about_name else "equation"] = reason
        elif section in ("derived", "constants"):
            line = self._line_of.get((section, rest.split(".")[0]))
            self.errors[section] = (_("第 %(line)s 行：%(reason)s") % {"line": line, "reason": reason}) if line else reason
        elif section == "correlations":
            line = self._line_of.get(("correlations", int(index))) if index is not None else None
            self.errors["correlations"] = (_("第 %(line)s 行：%(reason)s") % {"line": line, "reason": reason}) if line else reason
        elif section in FIELD_LABELS:
            self.errors[section] = reason
        else:
            self.errors["general"] = f"{path}: {reason}" if path else reason

    def summary(self) -> list[dict]:
        """Every error with the field it names, for the list above the form."""
        out = [{"label": FIELD_LABELS[k], "message": v, "anchor": f"field-{k}"} for k, v in self.errors.items()]
        for i, row in enumerate(self.rows):
            for column, message in row.errors.items():
                who = row.name.strip() or _("第 %(n)s 行") % {"n": i + 1}
                out.append(
                    {
                        "label": _("输入量 %(name)s · %(column)s") % {"name": who, "column": COLUMN_LABELS[column]},
                        "message": message,
                        "anchor": f"in-{i}-{column}",
                    }
                )
        return out
