"""Published examples the uncertainty page can load into its model builder.

The documents are the ones tests/core/uncertainty/test_published_examples.py checks
against their publications (tests/calculations/test_uncertainty_page.py asserts they are
equal), so a visitor who loads one sees the published numbers.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Example:
    key: str
    title: object
    citation: str
    note: object
    document: dict
    method: str = "both"
    measurand_unit: str = ""  # a display label: the documents carry no pint units

    def doc(self) -> dict:
        return copy.deepcopy(self.document)


# GUM (JCGM 100:2008) Annex H.1: calibration of an end gauge, lengths in mm, temperatures in °C.
END_GAUGE = {
    "outputs": {"l": "l_s + d - l_s*(delta_alpha*theta + alpha_s*delta_theta)"},
    "inputs": {
        "l_s": {"value": 50.000623, "u": 25e-6, "dof": 18},
        "d": {"value": 215e-6, "u": 9.7e-6, "dof": 25.6},
        "alpha_s": {"value": 11.5e-6, "distribution": "rectangular", "half_width": 2e-6},
        "theta_bar": {"value": -0.1, "u": 0.2},
        "Delta": {"value": 0.0, "distribution": "arcsine", "half_width": 0.5},
        "delta_alpha": {"value": 0.0, "distribution": "rectangular", "half_width": 1e-6, "dof": 50},
        "delta_theta": {"value": 0.0, "distribution": "rectangular", "half_width": 0.05, "dof": 2},
    },
    "derived": {"theta": "theta_bar + Delta"},
    "coverage_probability": 0.99,
}


def additive(kind: str) -> dict:
    """JCGM 101:2008 §9.2: Y = X1 + X2 + X3 + X4, each input with standard uncertainty 1
    (9.2.2 Gaussian, 9.2.3 rectangular); in 9.2.4 X4 is rectangular with u = 10."""
    inputs = {f"X{i}": {"value": 0.0, "u": 1.0} for i in range(1, 5)}
    if kind == "rectangular":
        inputs = {f"X{i}": {"value": 0.0, "distribution": "rectangular", "half_width": math.sqrt(3)} for i in range(1, 5)}
    if kind == "mixed":
        inputs["X4"] = {"value": 0.0, "distribution": "rectangular", "half_width": 10 * math.sqrt(3)}
    return {"outputs": {"Y": "X1 + X2 + X3 + X4"}, "inputs": inputs}


EXAMPLES = {
    example.key: example
    for example in (
        Example(
            "gum-h1",
            _("量块校准"),
            "GUM (JCGM 100:2008) H.1",
            _("长度以 mm 计，温度以 °C 计；公布结果 u_c = 32 nm，ν_eff = 16，k = 2.92，U99 = 93 nm。"),
            END_GAUGE,
            method="gum",
            measurand_unit="mm",
        ),
        Example(
            "jcgm101-9.2.2",
            _("加法模型（正态输入）"),
            "JCGM 101:2008 9.2.2",
            _("公布结果：u(y) = 2.00，95 % 包含区间 [-3.92, 3.92]。"),
            additive("normal"),
        ),
        Example(
            "jcgm101-9.2.3",
            _("加法模型（矩形输入）"),
            "JCGM 101:2008 9.2.3",
            _("公布结果：GUM 区间 [-3.92, 3.92]，蒙特卡洛区间 [-3.88, 3.88]。"),
            additive("rectangular"),
        ),
        Example(
            "jcgm101-9.2.4",
            _("加法模型（一个主导的矩形输入）"),
            "JCGM 101:2008 9.2.4",
            _("公布结果：u(y) = 10.15；GUM 区间 [-19.9, 19.9]，蒙特卡洛区间 [-17.0, 17.0]，GUM 结果未通过验证。"),
            additive("mixed"),
        ),
    )
}
