"""The measurement model document: loading and validation from a dict.

A document names inputs (with distributions), optional constants and derived
quantities, one or more outputs written as text, correlations and a coverage
probability. See issue 4 for the contract; every error names the offending field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from . import expression as ex
from .distributions import Distribution, standard_uncertainty
from .errors import ModelError
from .limits import MAX_MODEL_NODES

_RESERVED = set(ex.FUNCTION_NAMES)  # pi and e may be shadowed by a document name
_KIND_ALIASES = {
    "normal": "normal",
    "gaussian": "normal",
    "gauss": "normal",
    "rectangular": "rectangular",
    "uniform": "rectangular",
    "rect": "rectangular",
    "triangular": "triangular",
    "triangle": "triangular",
    "arcsine": "arcsine",
    "u-shaped": "arcsine",
    "u_shaped": "arcsine",
    "ushaped": "arcsine",
    "t": "t",
    "student_t": "t",
    "student-t": "t",
    "studentt": "t",
    "trapezoidal": "trapezoidal",
    "trapezoid": "trapezoidal",
    "curvilinear_trapezoid": "curvilinear_trapezoid",
    "curvilinear-trapezoid": "curvilinear_trapezoid",
    "ctrap": "curvilinear_trapezoid",
    "exponential": "exponential",
    "exp": "exponential",
}


@dataclass
class Options:
    second_order: bool = False
    truncate_dof: bool = True
    validation_digits: int = 2
    adaptive: bool = False


@dataclass
class Model:
    """A validated measurement model; all magnitudes in coherent (base) units."""

    inputs: dict[str, Distribution]
    constants: dict[str, float]
    derived: list[tuple[str, ex.Node]]
    outputs: list[tuple[str, ex.Node]]
    correlation: np.ndarray | None  # over ``input_names`` order, None if independent
    coverage_probability: float = 0.95
    options: Options = field(default_factory=Options)
    input_units: dict[str, str | None] = field(default_factory=dict)
    input_factors: dict[str, float] = field(default_factory=dict)  # given unit -> internal
    output_units: dict[str, str | None] = field(default_factory=dict)
    output_factors: dict[str, float] = field(default_factory=dict)  # internal -> reported
    observations: dict[str, int] = field(default_factory=dict)  # name -> n for Type A inputs
    _flat: dict[str, ex.Node] | None = None

    @property
    def input_names(self) -> list[str]:
        return list(self.inputs)

    def flattened(self) -> dict[str, ex.Node]:
        """Each output as a function of the inputs alone (derived and constants inlined)."""
        if self._flat is None:
            mapping: dict[str, ex.Node] = {k: ex.const(v) for k, v in self.constants.items()}
            for name, node in self.derived:
                mapping[name] = ex.substitute(node, mapping)
            self._flat = {name: ex.substitute(node, mapping) for name, node in self.outputs}
        return self._flat


# ---------------------------------------------------------------- numbers


def _number(spec: dict, key: str, where: str, *, required=True, default=None) -> float | None:
    value = spec.get(key)
    if type(value) is float and math.isfinite(value):  # the common cases, checked first
        return value
    if type(value) is int and -(2**63) < value < 2**63:
        return float(value)
    field_name = f"{where}.{key}" if where else key
    if key not in spec or spec[key] is None:
        if required:
            raise ModelError(field_name, "is required", code="required")
        return default
    value = spec[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            raise ModelError(
                field_name, f"must be a number, got {_shown(spec[key])}", code="number_required", got=_shown(spec[key])
            ) from None
    try:
        value = float(value)
    except OverflowError:  # an integer beyond the range of a double (JSON allows any length)
        value = math.inf
    if not math.isfinite(value):
        raise ModelError(field_name, f"must be finite, got {_shown(spec[key])}", code="number_finite", got=_shown(spec[key]))
    return value


def _shown(value) -> str:
    """The value as the user wrote it, cut short (a 400-digit integer is not repeated in full)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**30:
        return f"an integer of {len(str(abs(value)))} digits" if abs(value) < 10**4000 else "a huge integer"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _non_negative(value: float, field_name: str) -> float:
    if value < 0:
        raise ModelError(field_name, f"must not be negative, got {value!r}", code="must_not_be_negative", got=value)
    return value


def _dof(spec: dict, where: str) -> float:
    raw = spec.get("dof", spec.get("degrees_of_freedom"))
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("inf", "infinity")):
        return math.inf
    value = _number({"dof": raw}, "dof", where)
    if value <= 0:
        raise ModelError(f"{where}.dof", f"must be positive, got {value!r}", code="must_be_positive", got=value)
    return value


# ---------------------------------------------------------------- units


@lru_cache(maxsize=1)
def unit_registry():
    import pint  # imported lazily: only documents with units pay for the registry

    return pint.UnitRegistry()


def _unit_factor(unit: str, where: str) -> tuple[float, object]:
    """Factor from ``unit`` to coherent base units, and the base-unit object.

    Offset units (°C, °F) are treated as their differences: a model like
    ``alpha*(t - 20)`` keeps its numbers.
    """
    ureg = unit_registry()
    try:
        units = ureg.Unit(unit)
    except Exception as exc:  # pint raises several types for bad strings
        raise ModelError(
            where, f"unknown unit {unit!r} ({exc.__class__.__name__})", code="unknown_unit", unit=repr(unit)
        ) from None
    if not ureg.Quantity(1.0, units)._is_multiplicative:
        units = ureg.Unit("delta_" + str(units))
    base = ureg.Quantity(1.0, units).to_base_units()
    return float(base.magnitude), base.units


# ---------------------------------------------------------------- inputs


def _parse_input(name: str, spec, where: str) -> tuple[Distribution, int | None]:
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        raise ModelError(where, "an input needs a distribution; use constants for exact values", code="input_needs_distribution")
    if not isinstance(spec, dict):
        raise ModelError(where, "must be an object", code="must_be_object")

    if "observations" in spec:
        obs = spec["observations"]
        if not isinstance(obs, (list, tuple)) or len(obs) < 2:
            raise ModelError(f"{where}.observations", "needs a list of at least two numbers", code="observations_too_few")
        try:
            data = np.asarray(obs, dtype=float)
        except (TypeError, ValueError):
            raise ModelError(f"{where}.observations", "must contain only numbers", code="observations_not_numbers") from None
        if not np.all(np.isfinite(data)):
            raise ModelError(f"{where}.observations", "must contain only finite numbers", code="observations_not_numbers")
        n = data.size
        mean = float(data.mean())
        s_mean = float(data.std(ddof=1) / math.sqrt(n))  # GUM 4.2.3
        # JCGM 101 6.4.9: t with n-1 dof scaled by s/sqrt(n)
        return Distribution("t", mean, s_mean, float(n - 1), {"scale": s_mean}), n

    raw_kind = spec.get("distribution")
    if raw_kind is None:
        raw_kind = "rectangular" if ("lower" in spec or "half_width" in spec) else "normal"
    if not isinstance(raw_kind, str) or raw_kind.strip().lower() not in _KIND_ALIASES:
        raise ModelError(
            f"{where}.distribution",
            f"unknown distribution {raw_kind!r}; use one of normal, rectangular, "
            "triangular, arcsine, t, trapezoidal, exponential",
            code="unknown_distribution",
            got=repr(raw_kind),
        )
    kind = _KIND_ALIASES[raw_kind.strip().lower()]
    if kind == "trapezoidal" and "d" in spec and "beta" not in spec:
        kind = "curvilinear_trapezoid"
    dof = _dof(spec, where)

    if kind in ("rectangular", "triangular", "arcsine") and ("lower" in spec or "upper" in spec):
        lower = _number(spec, "lower", where)
        upper = _number(spec, "upper", where)
        if upper < lower:
            raise ModelError(
                f"{where}.upper",
                f"must not be below lower ({upper!r} < {lower!r})",
                code="upper_below_lower",
                upper=upper,
                lower=lower,
            )
        half = (upper - lower) / 2.0
        value = (lower + upper) / 2.0
        params = {"half_width": half}
        return Distribution(kind, value, standard_uncertainty(kind, params), dof, params), None

    value = _number(spec, "value", where)

    if kind == "normal":
        if "u" in spec:
            u = _non_negative(_number(spec, "u", where), f"{where}.u")
        elif "U" in spec:
            big_u = _non_negative(_number(spec, "U", where), f"{where}.U")
            k = _number(spec, "k", where)
            if k <= 0:
                raise ModelError(f"{where}.k", f"must be positive, got {k!r}", code="must_be_positive", got=k)
            u = big_u / k
        else:
            raise ModelError(f"{where}.u", "is required for a normal distribution (or U with k)", code="normal_needs_u")
        return Distribution(kind, value, u, dof), None

    if kind in ("rectangular", "triangular", "arcsine", "trapezoidal", "curvilinear_trapezoid"):
        half = _non_negative(_number(spec, "half_width", where), f"{where}.half_width")
        params = {"half_width": half}
        if kind == "trapezoidal":
            beta = _number(spec, "beta", where)
            if not 0.0 <= beta <= 1.0:
                raise ModelError(f"{where}.beta", f"must lie in [0, 1], got {beta!r}", code="in_unit_interval", got=beta)
            params["beta"] = beta
        if kind == "curvilinear_trapezoid":
            d = _non_negative(_number(spec, "d", where), f"{where}.d")
            if d > half:
                raise ModelError(
                    f"{where}.d", f"must not exceed half_width ({d!r} > {half!r})", code="d_exceeds_half_width", d=d, half=half
                )
            params["d"] = d
        return Distribution(kind, value, standard_uncertainty(kind, params), dof, params), None

    if kind == "t":
        if "dof" not in spec and "degrees_of_freedom" not in spec:
            raise ModelError(f"{where}.dof", "is required for a t distribution", code="t_needs_dof")
        if "scale" in spec:
            scale = _non_negative(_number(spec, "scale", where), f"{where}.scale")
            # GUM side: the scale is the Type A standard uncertainty (as for observations)
            return Distribution(kind, value, scale, dof, {"scale": scale}), None
        if "u" not in spec:
            raise ModelError(f"{where}.u", "is required for a t distribution (or scale)", code="t_needs_u")
        u = _non_negative(_number(spec, "u", where), f"{where}.u")
        if dof <= 2:
            raise ModelError(
                f"{where}.dof",
                "a t distribution with dof <= 2 has no finite standard uncertainty; give its scale instead of u",
                code="t_dof_too_small",
            )
        return Distribution(kind, value, u, dof, {"scale": u * math.sqrt((dof - 2.0) / dof)}), None

    if kind == "exponential":
        if value <= 0:
            raise ModelError(
                f"{where}.value",
                f"an exponential distribution needs a positive mean, got {value!r}",
                code="exponential_needs_positive_mean",
                got=value,
            )
        return Distribution(kind, value, value, dof), None
    raise AssertionError(kind)  # pragma: no cover


def _scaled(dist: Distribution, factor: float) -> Distribution:
    if factor == 1.0:
        return dist
    params = {k: (v * factor if k in ("half_width", "d", "scale") else v) for k, v in dist.params.items()}
    return Distribution(dist.kind, dist.value * factor, dist.u * abs(factor), dist.dof, params)


# ---------------------------------------------------------------- document


def _check_name(name, where: str, taken: dict) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise ModelError(
            where, f"{name!r} is not a valid name (letters, digits, underscore)", code="invalid_name", name=repr(name)
        )
    if name in _RESERVED:
        raise ModelError(where, f"{name!r} is reserved (a function or constant name)", code="reserved_name", name=repr(name))
    if name in taken:
        raise ModelError(
            where, f"{name!r} is already defined in {taken[name]}", code="name_taken", name=repr(name), section=taken[name]
        )


def _outputs_spec(raw) -> list[tuple[str, str, str | None, str]]:
    """Normalise the outputs section to (name, text, unit, field) tuples."""
    items: list[tuple[str, str, str | None, str]] = []
    if isinstance(raw, dict):
        for name, spec in raw.items():
            where = f"outputs.{name}"
            if isinstance(spec, dict):
                text = spec.get("expression", spec.get("model"))
                if text is None:
                    raise ModelError(f"{where}.expression", "is required", code="required")
                items.append((name, text, spec.get("unit"), where))
            else:
                items.append((name, spec, None, where))
    elif isinstance(raw, (list, tuple)):
        for i, line in enumerate(raw):
            where = f"outputs[{i}]"
            if not isinstance(line, str) or "=" not in line:
                raise ModelError(where, "list entries must read 'NAME = expression'", code="derived_list_entry")
            name, text = line.split("=", 1)
            items.append((name.strip(), text, None, where))
    elif isinstance(raw, str) and "=" in raw:
        name, text = raw.split("=", 1)
        items.append((name.strip(), text, None, "outputs"))
    else:
        raise ModelError("outputs", "must map output names to expressions", code="outputs_not_mapping")
    if not items:
        raise ModelError("outputs", "needs at least one output", code="outputs_empty")
    return items


def load_model(doc: dict) -> Model:
    """Validate a model document and return a :class:`Model` (raises ModelError)."""
    if not isinstance(doc, dict):
        raise ModelError("", "the model document must be an object", code="model_not_object")
    taken: dict[str, str] = {}

    raw_inputs = doc.get("inputs")
    if not isinstance(raw_inputs, dict) or not raw_inputs:
        raise ModelError("inputs", "must be a non-empty object of named inputs", code="inputs_empty")
    raw_constants = doc.get("constants") or {}
    if not isinstance(raw_constants, dict):
        raise ModelError("constants", "must be an object of name: value", code="constants_not_mapping")
    raw_derived = doc.get("derived") or {}
    if not isinstance(raw_derived, dict):
        raise ModelError("derived", "must be an object of name: expression", code="derived_not_mapping")

    any_units = any(isinstance(s, dict) and s.get("unit") for s in raw_inputs.values()) or any(
        isinstance(s, dict) and s.get("unit") for s in raw_constants.values()
    )
    out_items = _outputs_spec(doc.get("outputs"))
    any_units = any_units or any(unit for _, _, unit, _ in out_items)

    inputs: dict[str, Distribution] = {}
    input_units: dict[str, str | None] = {}
    input_factors: dict[str, float] = {}
    base_units: dict[str, object] = {}
    observations: dict[str, int] = {}
    for name, spec in raw_inputs.items():
        where = f"inputs.{name}"
        name = ex.normalise_name(name) if isinstance(name, str) else name
        _check_name(name, where, taken)
        taken[name] = "inputs"
        dist, n_obs = _parse_input(name, spec, where)
        unit = spec.get("unit") if isinstance(spec, dict) else None
        factor = 1.0
        if any_units:
            factor, base = _unit_factor(unit, f"{where}.unit") if unit else (1.0, None)
            base_units[name] = base
        inputs[name] = _scaled(dist, factor)
        input_units[name] = unit
        input_factors[name] = factor
        if n_obs:
            observations[name] = n_obs

    constants: dict[str, float] = {}
    for name, spec in raw_constants.items():
        where = f"constants.{name}"
        name = ex.normalise_name(name) if isinstance(name, str) else name
        _check_name(name, where, taken)
        taken[name] = "constants"
        if isinstance(spec, dict):
            value = _number(spec, "value", where)
            unit = spec.get("unit")
        else:
            value = _number({"value": spec}, "value", where)
            unit = None
        factor = 1.0
        if any_units:
            factor, base = _unit_factor(unit, f"{where}.unit") if unit else (1.0, None)
            base_units[name] = base
        constants[name] = value * factor

    parsed_derived: dict[str, ex.Node] = {}
    for name, text in raw_derived.items():
        where = f"derived.{name}"
        name = ex.normalise_name(name) if isinstance(name, str) else name
        _check_name(name, where, taken)
        taken[name] = "derived"
        parsed_derived[name] = ex.parse(text, where)

    known = set(inputs) | set(constants) | set(parsed_derived) | set(ex.NAMED_CONSTANTS)
    for name, node in parsed_derived.items():
        _check_names(node, known, f"derived.{name}")
    derived = _topological(parsed_derived)

    outputs: list[tuple[str, ex.Node]] = []
    output_units: dict[str, str | None] = {}
    for name, text, unit, where in out_items:
        name = ex.normalise_name(name) if isinstance(name, str) else name
        _check_name(name, where, taken)
        taken[name] = "outputs"
        node = ex.parse(text, where)
        _check_names(node, known, where)
        outputs.append((name, node))
        output_units[name] = unit

    named = {k: ex.const(v) for k, v in ex.NAMED_CONSTANTS.items() if k not in taken}
    derived = [(n, ex.substitute(node, named)) for n, node in derived]
    outputs = [(n, ex.substitute(node, named)) for n, node in outputs]

    correlation = _correlation(doc.get("correlations"), list(inputs))

    p = _number(doc, "coverage_probability", "", required=False, default=0.95) if "coverage_probability" in doc else 0.95
    if not 0.0 < p < 1.0:
        raise ModelError(
            "coverage_probability", f"must lie strictly between 0 and 1, got {p!r}", code="open_unit_interval", got=p
        )

    options = _options(doc.get("options") or {})
    model = Model(
        inputs,
        constants,
        derived,
        outputs,
        correlation,
        p,
        options,
        input_units,
        input_factors,
        output_units,
        {n: 1.0 for n, _ in outputs},
        observations,
    )
    # Without derived quantities an output is its own parse tree, already within MAX_NODES.
    for name, node in model.flattened().items() if derived else ():
        if ex.tree_size(node, MAX_MODEL_NODES) > MAX_MODEL_NODES:
            raise ModelError(
                f"outputs.{name}",
                f"with its derived quantities written out, the expression has more than {MAX_MODEL_NODES} terms",
                code="model_too_big",
                limit=MAX_MODEL_NODES,
            )
    _check_divisors(model)
    if any_units:
        _resolve_output_units(model, base_units)
    return model


def _check_names(node: ex.Node, known: set, where: str) -> None:
    unknown = sorted(node.free - known)
    if unknown:
        raise ModelError(
            where,
            f"unknown name {unknown[0]!r} (not an input, constant or derived quantity)",
            code="unknown_name",
            name=repr(unknown[0]),
        )


def _topological(derived: dict[str, ex.Node]) -> list[tuple[str, ex.Node]]:
    order: list[tuple[str, ex.Node]] = []
    state: dict[str, int] = {}

    def visit(name: str, chain: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            cycle = " -> ".join(chain[chain.index(name) :] + [name])
            raise ModelError(f"derived.{name}", f"circular definition: {cycle}", code="circular_definition", chain=cycle)
        state[name] = 1
        for dep in sorted(derived[name].free & derived.keys()):
            visit(dep, chain + [name])
        state[name] = 2
        order.append((name, derived[name]))

    for name in derived:
        visit(name, [])
    return order


def _correlation(raw, names: list[str]) -> np.ndarray | None:
    if not raw:
        return None
    index = {n: i for i, n in enumerate(names)}
    matrix = np.eye(len(names))
    if isinstance(raw, dict):  # {"names": [...], "matrix": [[...]]}
        sub = raw.get("names")
        mat = np.asarray(raw.get("matrix"), dtype=float)
        if not isinstance(sub, list) or mat.shape != (len(sub), len(sub)):
            raise ModelError(
                "correlations", "a matrix form needs 'names' and a square 'matrix' of that size", code="correlation_matrix_shape"
            )
        entries = [(sub[i], sub[j], mat[i, j]) for i in range(len(sub)) for j in range(i + 1, len(sub))]
        if not np.allclose(mat, mat.T):
            raise ModelError("correlations.matrix", "must be symmetric", code="correlation_matrix_symmetric")
    elif isinstance(raw, list):
        entries = raw
    else:
        raise ModelError("correlations", "must be a list of [name, name, r] triples", code="correlations_not_list")
    for i, entry in enumerate(entries):
        where = f"correlations[{i}]"
        if isinstance(entry, dict):
            entry = (entry.get("a"), entry.get("b"), entry.get("r"))
        if not isinstance(entry, (list, tuple)) or len(entry) != 3:
            raise ModelError(where, "must be [name, name, r]", code="correlation_triple")
        a, b, r = entry
        a, b = (ex.normalise_name(n) if isinstance(n, str) else n for n in (a, b))
        for n in (a, b):
            if n not in index:
                raise ModelError(where, f"unknown input {n!r}", code="unknown_input", name=repr(n))
        if a == b:
            raise ModelError(where, f"an input cannot be correlated with itself ({a!r})", code="self_correlation", name=repr(a))
        r = _number({"r": r}, "r", where)
        if not -1.0 <= r <= 1.0:
            raise ModelError(where, f"correlation must lie in [-1, 1], got {r!r}", code="correlation_range", got=r)
        matrix[index[a], index[b]] = matrix[index[b], index[a]] = r
    eigen = np.linalg.eigvalsh(matrix)
    if eigen[0] < -1e-10:
        raise ModelError(
            "correlations",
            f"the correlation matrix is not positive semi-definite (smallest eigenvalue {eigen[0]:.3g})",
            code="correlation_not_psd",
            eig=f"{eigen[0]:.3g}",
        )
    return matrix


def _options(raw: dict) -> Options:
    if not isinstance(raw, dict):
        raise ModelError("options", "must be an object", code="must_be_object")
    opts = Options()
    for key in ("second_order", "truncate_dof", "adaptive"):
        if key in raw:
            if not isinstance(raw[key], bool):
                raise ModelError(f"options.{key}", "must be true or false", code="must_be_boolean")
            setattr(opts, key, raw[key])
    if "validation_digits" in raw:
        digits = raw["validation_digits"]
        if not isinstance(digits, int) or not 1 <= digits <= 6:
            raise ModelError("options.validation_digits", "must be an integer from 1 to 6", code="validation_digits")
        opts.validation_digits = digits
    return opts


# ---------------------------------------------------------------- divisor check


def _interval(node: ex.Node, ranges: dict) -> tuple[float, float]:
    """Interval arithmetic over the inputs' supports (loose but safe bounds)."""
    op = node.op
    if op == "const":
        return node.data, node.data
    if op == "var":
        return ranges[node.data]
    if op == "neg":
        lo, hi = _interval(node.args[0], ranges)
        return -hi, -lo
    if op == "sum":
        lo = hi = 0.0
        for sign, term in zip(node.data, node.args):
            a, b = _interval(term, ranges)
            lo, hi = (lo + a, hi + b) if sign > 0 else (lo - b, hi - a)
        return lo, hi
    if op in ("add", "sub", "mul"):
        (a, b), (c, d) = _interval(node.args[0], ranges), _interval(node.args[1], ranges)
        if op == "add":
            return a + c, b + d
        if op == "sub":
            return a - d, b - c
        products = [x * y for x in (a, b) for y in (c, d) if not (math.isinf(x) and y == 0) and not (math.isinf(y) and x == 0)]
        return (min(products), max(products)) if products else (-math.inf, math.inf)
    if op == "div":
        (a, b), (c, d) = _interval(node.args[0], ranges), _interval(node.args[1], ranges)
        if c <= 0.0 <= d:
            return -math.inf, math.inf
        quotients = [x / y for x in (a, b) for y in (c, d)]
        return min(quotients), max(quotients)
    if op == "call" and node.data in ("exp", "cosh", "sqrt", "abs", "hypot"):
        return 0.0, math.inf
    return -math.inf, math.inf


def _check_divisors(model: Model) -> None:
    """Reject a division by a quantity whose distribution spans zero."""
    ranges = {n: d.support() for n, d in model.inputs.items()}
    mapping = {k: ex.const(v) for k, v in model.constants.items()}
    for name, node in model.derived:
        mapping[name] = ex.substitute(node, mapping)
    sections = [(f"derived.{n}", n_) for n, n_ in model.derived] + [(f"outputs.{n}", n_) for n, n_ in model.outputs]
    for where, node in sections:
        for divisor in _divisors(node):
            flat = ex.substitute(divisor, mapping) if mapping else divisor
            if not flat.free:
                if flat.op == "const" and flat.data == 0.0:
                    raise ModelError(
                        where, f"division by zero ({ex.to_text(divisor)})", code="division_by_zero", expr=ex.to_text(divisor)
                    )
                continue
            lo, hi = _interval(flat, ranges)
            if lo <= 0.0 <= hi and not (math.isinf(lo) and math.isinf(hi) and flat.op != "var"):
                spanning = [v for v in sorted(flat.free) if ranges[v][0] <= 0.0 <= ranges[v][1]]
                culprit = f" (input {spanning[0]!r} spans zero)" if spanning else ""
                raise ModelError(
                    where,
                    f"divisor {ex.to_text(divisor)} can be zero: its distribution spans [{lo:.6g}, {hi:.6g}]{culprit}",
                    code="divisor_spans_zero",
                    expr=ex.to_text(divisor),
                    range=f"[{lo:.6g}, {hi:.6g}]",
                )


def _divisors(node: ex.Node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.op == "div":
            yield current.args[1]
        if current.op == "pow" and current.args[1].op == "const" and current.args[1].data < 0:
            yield current.args[0]
        stack.extend(current.args)


# ---------------------------------------------------------------- output units


def _resolve_output_units(model: Model, base_units: dict) -> None:
    """Derive each output's unit with pint and the factor from internal base units."""
    ureg = unit_registry()
    from pint.errors import DimensionalityError

    env_base, env_given = {}, {}
    for name, dist in model.inputs.items():
        unit = base_units.get(name)
        given = model.input_units.get(name)
        factor = model.input_factors.get(name, 1.0)
        env_base[name] = ureg.Quantity(dist.value, unit) if unit is not None else ureg.Quantity(dist.value)
        env_given[name] = ureg.Quantity(dist.value / factor, _delta(ureg, given)) if given else ureg.Quantity(dist.value)
    for name, value in model.constants.items():
        unit = base_units.get(name)
        env_base[name] = ureg.Quantity(value, unit) if unit is not None else ureg.Quantity(value)
        env_given[name] = env_base[name]

    memo_base, memo_given = {}, {}
    for name, node in model.derived:
        try:
            env_base[name] = ex.evaluate(node, env_base, memo_base, ex.ARRAY_FUNCTIONS)
            env_given[name] = ex.evaluate(node, env_given, memo_given, ex.ARRAY_FUNCTIONS)
        except DimensionalityError as exc:
            raise ModelError(
                f"derived.{name}", f"inconsistent units: {exc}", code="units_inconsistent", detail=str(exc)
            ) from None
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise ModelError(
                f"derived.{name}",
                f"cannot be evaluated at the inputs' values ({exc})",
                code="evaluation_overflow",
                detail=str(exc),
            ) from None
    for name, node in model.outputs:
        where = f"outputs.{name}"
        try:
            result_base = ureg.Quantity(ex.evaluate(node, env_base, memo_base, ex.ARRAY_FUNCTIONS))
            natural = ureg.Quantity(ex.evaluate(node, env_given, memo_given, ex.ARRAY_FUNCTIONS)).units
        except DimensionalityError as exc:
            raise ModelError(where, f"inconsistent units: {exc}", code="units_inconsistent", detail=str(exc)) from None
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ModelError(
                where, f"cannot be evaluated at the inputs' values ({exc})", code="evaluation_overflow", detail=str(exc)
            ) from None
        wanted = model.output_units.get(name)
        target = _delta(ureg, wanted) if wanted else natural
        base = result_base.to_base_units().units
        try:
            factor = float(ureg.Quantity(1.0, base).to(target).magnitude)
        except DimensionalityError:
            raise ModelError(
                f"{where}.unit",
                f"the model gives {base:~P}, not convertible to {wanted!r}",
                code="unit_not_convertible",
                got=f"{base:~P}",
                want=repr(wanted),
            ) from None
        model.output_factors[name] = factor
        model.output_units[name] = wanted or (f"{natural:~P}" if str(natural) != "dimensionless" else None)


def _delta(ureg, unit: str):
    units = ureg.Unit(unit)
    if not ureg.Quantity(1.0, units)._is_multiplicative:
        return ureg.Unit("delta_" + str(units))
    return units
