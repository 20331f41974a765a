"""The GUM law of propagation of uncertainty (JCGM 100:2008 §5, G.4).

Sensitivity coefficients are exact partial derivatives of the model text (reverse-mode
differentiation at the estimates; symbolic derivatives for the second order). Second-order
terms (GUM 5.1.2 note) are added on request for uncorrelated inputs. Effective degrees
of freedom come from the Welch–Satterthwaite formula (G.4.1), truncated down to an
integer before the t-factor is taken unless the option says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from . import expression as ex
from .errors import ModelError
from .limits import MAX_DERIVATIVE_NODES
from .model import Model


@dataclass
class BudgetRow:
    input: str
    value: float
    u: float
    distribution: str
    dof: float
    sensitivity: float
    contribution: float  # |c_i| u(x_i)
    share: float  # fraction of the first-order variance (uncorrelated part)


@dataclass
class GumOutput:
    name: str
    value: float
    u: float
    dof: float
    k: float
    U: float
    interval: tuple[float, float]
    budget: list[BudgetRow]
    second_order_variance: float = 0.0


@dataclass
class GumResult:
    outputs: dict[str, GumOutput]
    covariance: np.ndarray  # between outputs, in internal units
    coverage_probability: float


def coverage_factor(p: float, dof: float, truncate: bool = True) -> float:
    """k for coverage probability ``p``: Student t with ``dof`` (truncated), or normal."""
    if math.isinf(dof) or dof > 1e7:
        return float(special.ndtri(0.5 + p / 2.0))
    nu = math.floor(dof) if truncate else dof
    nu = max(nu, 1.0)
    return float(special.stdtrit(nu, 0.5 + p / 2.0))


def welch_satterthwaite(u_c: float, contributions: np.ndarray, dofs: np.ndarray) -> float:
    """ν_eff = u_c⁴ / Σ u_i⁴/ν_i (GUM G.4.1); infinite when every ν_i is."""
    if u_c == 0.0:
        return math.inf
    # an infinite ν_i or a zero contribution adds an exact 0 to the sum
    denominator = float(np.add.reduce(contributions**4 / dofs))
    return math.inf if denominator == 0.0 else u_c**4 / denominator


def propagate(model: Model, second_order: bool | None = None, truncate_dof: bool | None = None) -> GumResult:
    """Evaluate every output of ``model`` by the law of propagation of uncertainty.

    First-order sensitivities come from one reverse-mode sweep over the model
    (:func:`expression.value_and_gradient`: exact derivatives, at the cost of about two
    evaluations whatever the number of inputs); the second-order terms, when asked for,
    from symbolic derivatives.
    """
    second_order = model.options.second_order if second_order is None else second_order
    truncate = model.options.truncate_dof if truncate_dof is None else truncate_dof
    names = model.input_names
    inputs = model.inputs
    index = {n: i for i, n in enumerate(names)}
    x = {n: d.value for n, d in inputs.items()}
    u = np.array([inputs[n].u for n in names])
    dofs = np.array([inputs[n].dof for n in names])
    corr = model.correlation
    p = model.coverage_probability

    flat = model.flattened()
    jacobian = np.zeros((len(flat), len(names)))
    outputs: dict[str, GumOutput] = {}
    memo: dict = {}  # values of shared sub-expressions at the estimates (second order)
    for row, (out_name, node) in enumerate(flat.items()):
        where = f"outputs.{out_name}"
        try:
            raw_value, grad = ex.value_and_gradient(node, x)
            value = _real(raw_value, where, "value")
            c = np.array([_real(grad[n], where, f"sensitivity to {n}") if n in grad else 0.0 for n in names])
            cu = c * u
            with np.errstate(over="ignore", invalid="ignore"):
                variance = float(cu @ corr @ cu) if corr is not None else float(cu @ cu)
            second_var = 0.0
            if second_order:
                used = [n for n in names if n in node.free]
                first = {n: ex.derivative(node, n) for n in used}
                terms = 0
                for d1 in first.values():
                    terms = _count_derivative_terms(terms, d1, where)
                second_var = _second_order_variance(first, used, x, memo, u, index, where)
                variance += second_var
        except ModelError:
            raise
        except ArithmeticError as exc:  # OverflowError, ZeroDivisionError
            raise ModelError(
                where, f"cannot be evaluated at the inputs' values ({exc})", code="evaluation_overflow", detail=str(exc)
            ) from None
        except (TypeError, ValueError) as exc:  # math's domain errors; a complex power
            raise ModelError(
                where, f"is not a real number at the inputs' values ({exc})", code="evaluation_domain", detail=str(exc)
            ) from None
        if not math.isfinite(variance):
            raise ModelError(
                where, "its uncertainty is beyond the range of a double at the inputs' values", code="uncertainty_overflow"
            )
        jacobian[row] = c
        u_c = math.sqrt(max(variance, 0.0))
        contributions = np.abs(cu)
        nu = welch_satterthwaite(u_c, contributions, dofs)
        k = coverage_factor(p, nu, truncate)
        big_u = k * u_c
        first_total = float(cu @ cu)
        shares = (cu * cu / first_total).tolist() if first_total > 0 else [0.0] * len(names)
        rows = zip(names, u.tolist(), dofs.tolist(), c.tolist(), contributions.tolist(), shares)
        budget = [
            BudgetRow(n, inputs[n].value, u_i, inputs[n].kind, dof_i, c_i, contribution, share)
            for n, u_i, dof_i, c_i, contribution, share in rows
        ]
        outputs[out_name] = GumOutput(out_name, value, u_c, nu, k, big_u, (value - big_u, value + big_u), budget, second_var)
    scaled = jacobian * u  # c_i u(x_i)
    covariance = scaled @ corr @ scaled.T if corr is not None else scaled @ scaled.T
    return GumResult(outputs, covariance, p)


def _real(value, where: str, what: str) -> float:
    """A finite float, or the refusal naming the output (complex and infinite values are not results)."""
    if isinstance(value, complex):
        raise ModelError(where, f"its {what} is not a real number at the inputs' values", code="evaluation_domain", detail=what)
    value = float(value)
    if not math.isfinite(value):
        raise ModelError(
            where, f"its {what} is beyond the range of a double at the inputs' values", code="evaluation_overflow", detail=what
        )
    return value


def _count_derivative_terms(so_far: int, derivative: ex.Node, where: str) -> int:
    """Symbolic derivatives of deeply nested functions grow fast: refuse past the bound."""
    total = so_far + ex.size(derivative, MAX_DERIVATIVE_NODES)
    if total > MAX_DERIVATIVE_NODES:
        raise ModelError(
            where,
            f"its derivatives have more than {MAX_DERIVATIVE_NODES} terms; simplify the model",
            code="derivatives_too_big",
            limit=MAX_DERIVATIVE_NODES,
        )
    return total


def _second_order_variance(first: dict, used: list[str], x: dict, memo: dict, u: np.ndarray, index: dict, where: str) -> float:
    """Σ_i Σ_j [½ (∂²f/∂x_i∂x_j)² + ∂f/∂x_i ∂³f/∂x_i∂x_j²] u_i² u_j² (GUM 5.1.2 note)."""
    total, terms = 0.0, 0
    for i in used:
        c_i = _real(ex.evaluate(first[i], x, memo), where, f"sensitivity to {i}")
        for j in used:
            d2 = ex.derivative(first[i], j)
            if d2.op == "const" and d2.data == 0.0:
                continue
            d3 = ex.derivative(d2, j)
            terms = _count_derivative_terms(_count_derivative_terms(terms, d2, where), d3, where)
            v2 = _real(ex.evaluate(d2, x, memo), where, "second derivative")
            v3 = _real(ex.evaluate(d3, x, memo), where, "third derivative")
            total += (0.5 * v2 * v2 + c_i * v3) * u[index[i]] ** 2 * u[index[j]] ** 2
    return total
