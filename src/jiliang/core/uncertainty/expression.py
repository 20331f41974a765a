"""Safe measurement-model expressions: whitelist parsing, exact derivatives, compilation.

Text is parsed with Python's ``ast`` module and only a whitelist of node types is
accepted (numbers, names, + - * / **, unary minus, calls of known functions). The tree
is converted to our own immutable nodes; derivatives are built symbolically on those
nodes, and vectorised NumPy code is generated from them (never from the user's text).
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from .errors import ModelError
from .limits import MAX_EXPRESSION_CHARS, MAX_NESTING, MAX_NODES


class Node:
    """An immutable expression node. ``free`` holds the variable names it depends on."""

    __slots__ = ("op", "args", "data", "free", "index")

    def __init__(self, op: str, args: tuple = (), data=None, free: frozenset | None = None):
        self.op = op
        self.args = args
        self.data = data  # float for "const", name for "var", function name for "call"
        if free is None:  # the union of the arguments' sets, reusing one when it is all
            if len(args) == 2:
                first, second = args[0].free, args[1].free
                free = first if second <= first else second if first <= second else first | second
            elif len(args) == 1:
                free = args[0].free
            else:
                free = frozenset().union(*[a.free for a in args])
        self.free = free
        self.index = None  # for "sum": variable -> positions of the terms using it

    def terms_with(self, name: str) -> list[int]:
        """Positions of the terms of a "sum" node that depend on ``name``."""
        if self.index is None:
            index: dict[str, list[int]] = {}
            for i, term in enumerate(self.args):
                for v in term.free:
                    index.setdefault(v, []).append(i)
            self.index = index
        return self.index.get(name, [])

    def __repr__(self) -> str:
        return to_text(self)


_NO_NAMES = frozenset()


def const(value: float) -> Node:
    return Node("const", (), float(value), _NO_NAMES)


def var(name: str) -> Node:
    return Node("var", (), name, frozenset((name,)))


ZERO = const(0.0)
ONE = const(1.0)


def _is_const(node: Node, value: float | None = None) -> bool:
    return node.op == "const" and (value is None or node.data == value)


# ---------------------------------------------------------------- simplifying builders


def add(a: Node, b: Node) -> Node:
    if a.op != "const" and b.op != "const":  # the common case first: no folding to try
        return Node("add", (a, b))
    if _is_const(a) and _is_const(b):
        return const(a.data + b.data)
    if _is_const(a, 0.0):
        return b
    if _is_const(b, 0.0):
        return a
    return Node("add", (a, b))


def sub(a: Node, b: Node) -> Node:
    if a.op != "const" and b.op != "const":
        return Node("sub", (a, b))
    if _is_const(a) and _is_const(b):
        return const(a.data - b.data)
    if _is_const(b, 0.0):
        return a
    if _is_const(a, 0.0):
        return neg(b)
    return Node("sub", (a, b))


def mul(a: Node, b: Node) -> Node:
    if a.op != "const" and b.op != "const":
        return Node("mul", (a, b))
    if _is_const(a) and _is_const(b):
        return const(a.data * b.data)
    if _is_const(a, 0.0) or _is_const(b, 0.0):
        return ZERO
    if _is_const(a, 1.0):
        return b
    if _is_const(b, 1.0):
        return a
    if _is_const(a, -1.0):
        return neg(b)
    if _is_const(b, -1.0):
        return neg(a)
    return Node("mul", (a, b))


def div(a: Node, b: Node) -> Node:
    if a.op != "const" and b.op != "const":
        return Node("div", (a, b))
    if _is_const(a) and _is_const(b) and b.data != 0.0:
        return const(a.data / b.data)
    if _is_const(a, 0.0) and not _is_const(b, 0.0):
        return ZERO
    if _is_const(b, 1.0):
        return a
    return Node("div", (a, b))


def power(a: Node, b: Node) -> Node:
    if b.op != "const":
        if a.op != "const":
            return Node("pow", (a, b))
    elif b.data == 0.0:
        return ONE
    elif b.data == 1.0:
        return a
    if _is_const(a) and _is_const(b):
        try:
            value = a.data**b.data
            if isinstance(value, float) and math.isfinite(value):
                return const(value)
        except (OverflowError, ZeroDivisionError):
            pass
    return Node("pow", (a, b))


def neg(a: Node) -> Node:
    if _is_const(a):
        return const(-a.data)
    if a.op == "neg":
        return a.args[0]
    return Node("neg", (a,))


def make_sum(terms: list[Node], signs: list[float]) -> Node:
    """An n-ary sum Σ sign·term (long sums stay flat, so derivatives stay linear-time)."""
    if len(terms) == 2:  # a + b, a - b, 1 + x: the same nodes as the general path below, sooner
        a, b = terms
        first, second = signs
        if a.op != "const" and b.op != "const":
            if first > 0:
                return add(a, b) if second > 0 else sub(a, b)
            return sub(neg(a), b) if second < 0 else sub(b, a)
        if a.op == "const" and b.op != "const":
            constant = 0.0 + first * a.data
            if constant == 0.0:
                return b if second > 0 else neg(b)
            return add(b, const(constant)) if second > 0 else sub(const(constant), b)
    constant = 0.0
    kept, kept_signs = [], []
    for term, sign in zip(terms, signs):
        if term.op == "const":
            constant += sign * term.data
        else:
            kept.append(term)
            kept_signs.append(sign)
    if constant != 0.0:
        kept.append(const(constant))
        kept_signs.append(1.0)
    if not kept:
        return ZERO
    if len(kept) == 1:
        return kept[0] if kept_signs[0] > 0 else neg(kept[0])
    if len(kept) == 2:
        a, b = kept
        if kept_signs[0] > 0:
            return add(a, b) if kept_signs[1] > 0 else sub(a, b)
        return sub(neg(a), b) if kept_signs[1] < 0 else sub(b, a)
    return Node("sum", tuple(kept), tuple(kept_signs))


def call(name: str, *args: Node) -> Node:
    if all(_is_const(a) for a in args):
        try:
            value = float(_SCALAR_FUNCTIONS[name](*(a.data for a in args)))
            if math.isfinite(value):
                return const(value)
        except (ValueError, OverflowError, ZeroDivisionError):
            pass
    return Node("call", tuple(args), name)


# ---------------------------------------------------------------- function whitelist


def _sign(x):
    return math.copysign(1.0, x) if x != 0 else 0.0


_SCALAR_FUNCTIONS: dict[str, Callable] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "asin": math.asin,
    "acos": math.acos,
    "atan": math.atan,
    "atan2": math.atan2,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "ln": math.log,
    "log10": math.log10,
    "log2": math.log2,
    "sqrt": math.sqrt,
    "abs": abs,
    "hypot": math.hypot,
    "sign": _sign,
}
# NumPy counterparts (vectorised, and pint-aware through __array_ufunc__).
_ARRAY_FUNCTIONS: dict[str, Callable] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "atan2": np.arctan2,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "exp": np.exp,
    "log": np.log,
    "ln": np.log,
    "log10": np.log10,
    "log2": np.log2,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "hypot": np.hypot,
    "sign": np.sign,
}
_ARITY = {name: 1 for name in _SCALAR_FUNCTIONS}
_ARITY.update(atan2=2, hypot=2)
NAMED_CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTION_NAMES = frozenset(_SCALAR_FUNCTIONS)


# ---------------------------------------------------------------- parsing

# Python keywords that are natural quantity names (lambda for a wavelength): renamed
# before parsing and restored on the variable.
_KEYWORD_SUFFIX = "__jl_kw"
_NAME_KEYWORDS = sorted(set(keyword.kwlist) - {"and", "or", "not", "if", "else", "True", "False", "None"})
_KEYWORD_RE = re.compile(r"(?<![\w.])(" + "|".join(_NAME_KEYWORDS) + r")(?!\w)")


def normalise_name(name: str) -> str:
    """The form Python's parser gives an identifier (NFKC), so document names match."""
    return unicodedata.normalize("NFKC", name)


_BINOPS = {ast.Add: add, ast.Sub: sub, ast.Mult: mul, ast.Div: div, ast.Pow: power}


def parse(text: str, field: str = "expression") -> Node:
    """Parse ``text`` into a Node, accepting only whitelisted syntax.

    Names are left as variables; the caller resolves them. ``field`` names the
    document location in error messages.
    """
    if not isinstance(text, str) or not text.strip():
        raise ModelError(field, "expected a non-empty expression string", code="expression_empty")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ModelError(
            field,
            f"expression is too long ({len(text)} characters; at most {MAX_EXPRESSION_CHARS})",
            code="expression_too_long",
            length=len(text),
            limit=MAX_EXPRESSION_CHARS,
        )
    _check_parentheses(text, field)
    source = _KEYWORD_RE.sub(lambda m: m.group(1) + _KEYWORD_SUFFIX, text.strip())
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        shown = text if len(text) <= 80 else text[:77] + "..."
        raise ModelError(
            field, f"syntax error in {shown!r}: {exc.msg}", code="expression_syntax", text=shown, msg=exc.msg
        ) from None
    except (RecursionError, MemoryError):  # CPython's parser gives up on very long chains of operators
        raise ModelError(
            field, f"the expression has more than {MAX_NODES} terms", code="expression_too_big", limit=MAX_NODES
        ) from None
    return _Converter(field, text).convert(tree.body, 1)


_NOT_PARENTHESIS = re.compile(r"[^()]+")


def _check_parentheses(text: str, field: str) -> None:
    if text.count("(") <= MAX_NESTING:  # cannot nest deeper than it opens
        return
    depth = deepest = 0
    for char in _NOT_PARENTHESIS.sub("", text):
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth -= 1
    if deepest > MAX_NESTING:
        raise ModelError(
            field,
            f"parentheses are nested {deepest} deep; at most {MAX_NESTING}",
            code="expression_too_deep",
            depth=deepest,
            limit=MAX_NESTING,
        )


class _Converter:
    """Converts a Python AST to Nodes, refusing as it goes a tree too big or too deep to
    convert, derive and compile in bounded time (one walk: the bounds are checked on the
    nodes as they are reached, so conversion never recurses past ``MAX_NESTING``).

    A chain of + and - is one flat sum (it costs no depth); everything else nests.
    """

    __slots__ = ("field", "text", "count")

    def __init__(self, field: str, text: str):
        self.field, self.text, self.count = field, text, 0

    def _enter(self, depth: int, nodes: int = 1) -> None:
        self.count += nodes
        if self.count > MAX_NODES:
            raise ModelError(
                self.field, f"the expression has more than {MAX_NODES} terms", code="expression_too_big", limit=MAX_NODES
            )
        if depth > MAX_NESTING:
            raise ModelError(
                self.field,
                f"the expression is nested more than {MAX_NESTING} deep",
                code="expression_too_deep",
                depth=depth,
                limit=MAX_NESTING,
            )

    def convert(self, node: ast.AST, depth: int) -> Node:
        self.count += 1
        if self.count > MAX_NODES or depth > MAX_NESTING:
            self._enter(depth, 0)  # refuses
        field, text = self.field, self.text
        kind = type(node)
        if kind is ast.BinOp:
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return self._sum(node, depth)
            builder = _BINOPS.get(type(node.op))
            if builder is None:
                hint = " (use ** for powers)" if isinstance(node.op, ast.BitXor) else ""
                raise ModelError(
                    field,
                    f"operator {type(node.op).__name__} is not allowed{hint}",
                    code="operator_not_allowed",
                    operator=type(node.op).__name__,
                )
            return builder(self.convert(node.left, depth + 1), self.convert(node.right, depth + 1))
        if kind is ast.Name:
            name = node.id
            if name.endswith(_KEYWORD_SUFFIX):
                name = name[: -len(_KEYWORD_SUFFIX)]
            return Node("var", (), name, frozenset((name,)))
        if kind is ast.Constant:
            return self._constant(node)
        if kind is ast.UnaryOp:
            if isinstance(node.op, ast.USub):
                return neg(self.convert(node.operand, depth + 1))
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand, depth + 1)
            raise ModelError(
                field,
                f"operator {type(node.op).__name__} is not allowed",
                code="operator_not_allowed",
                operator=type(node.op).__name__,
            )
        if kind is ast.Call:
            self._enter(depth + 1)  # the function's name
            return self._call(node, depth)
        raise ModelError(field, f"{kind.__name__} is not allowed in {text!r}", code="syntax_not_allowed", syntax=kind.__name__)

    def _sum(self, node: ast.BinOp, depth: int) -> Node:
        left = node.left
        if type(left) is not ast.BinOp or not isinstance(left.op, (ast.Add, ast.Sub)):  # one + or -
            first = self.convert(left, depth + 1)
            second = self.convert(node.right, depth + 1)
            return make_sum([first, second], [1.0, -1.0 if isinstance(node.op, ast.Sub) else 1.0])
        terms, signs = [], []
        current, sign_stack = node, []
        while isinstance(current, ast.BinOp) and isinstance(current.op, (ast.Add, ast.Sub)):
            sign_stack.append((current.right, -1.0 if isinstance(current.op, ast.Sub) else 1.0))
            current = current.left
        self._enter(depth, len(sign_stack) - 1)  # the rest of the chain, all at this depth
        terms.append(self.convert(current, depth + 1))
        signs.append(1.0)
        for right, sign in reversed(sign_stack):
            terms.append(self.convert(right, depth + 1))
            signs.append(sign)
        return make_sum(terms, signs)

    def _constant(self, node: ast.Constant) -> Node:
        value = node.value
        if type(value) is float and math.isfinite(value):  # the common cases, checked first
            return Node("const", (), value, _NO_NAMES)
        if type(value) is int and -(2**53) <= value <= 2**53:
            return Node("const", (), float(value), _NO_NAMES)
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ModelError(
                self.field,
                f"only numbers are allowed as literals, not {node.value!r}",
                code="expression_literal",
                literal=repr(node.value),
            )
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            shown = ast.get_source_segment(self.text, node) or "…"
            raise ModelError(
                self.field,
                f"the number {shown[:40]} is beyond the range of a double",
                code="number_out_of_range",
                number=shown[:40],
            )
        return const(value)

    def _call(self, node: ast.Call, depth: int) -> Node:
        field = self.field
        if not isinstance(node.func, ast.Name) or node.func.id not in _SCALAR_FUNCTIONS:
            name = getattr(node.func, "id", ast.unparse(node.func))
            raise ModelError(
                field,
                f"unknown function {name!r}; allowed: {', '.join(sorted(_SCALAR_FUNCTIONS))}",
                code="unknown_function",
                name=repr(name),
                allowed=", ".join(sorted(_SCALAR_FUNCTIONS)),
            )
        if node.keywords:
            raise ModelError(
                field, f"function {node.func.id!r} takes no keyword arguments", code="function_keywords", name=repr(node.func.id)
            )
        arity = _ARITY[node.func.id]
        if len(node.args) != arity:
            raise ModelError(
                field,
                f"function {node.func.id!r} takes {arity} argument(s), got {len(node.args)}",
                code="function_arity",
                name=repr(node.func.id),
                n=arity,
                m=len(node.args),
            )
        return call(node.func.id, *(self.convert(a, depth + 1) for a in node.args))


# ---------------------------------------------------------------- substitution


def substitute(node: Node, mapping: Mapping[str, Node], _memo: dict | None = None) -> Node:
    """Replace variables by nodes (derived quantities, constants), re-simplifying."""
    if not (node.free & mapping.keys()):
        return node
    memo = {} if _memo is None else _memo
    key = id(node)
    if key in memo:
        return memo[key]
    if node.op == "var":
        result = mapping[node.data]
    else:
        args = [substitute(a, mapping, memo) for a in node.args]
        result = _rebuild(node, args)
    memo[key] = result
    return result


def _rebuild(node: Node, args: list) -> Node:
    op = node.op
    if op == "add":
        return add(*args)
    if op == "sub":
        return sub(*args)
    if op == "mul":
        return mul(*args)
    if op == "div":
        return div(*args)
    if op == "pow":
        return power(*args)
    if op == "neg":
        return neg(args[0])
    if op == "call":
        return call(node.data, *args)
    if op == "sum":
        return make_sum(args, list(node.data))
    raise AssertionError(op)


def size(node: Node, limit: int | None = None) -> int:
    """Distinct nodes of an expression DAG (shared sub-expressions counted once); stops
    counting past ``limit``."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if limit is not None and len(seen) > limit:
            break
        stack.extend(current.args)
    return len(seen)


def tree_size(node: Node, limit: int) -> int:
    """Nodes of the expression written out as a tree (a shared sub-expression counted each
    time it is used), capped at ``limit + 1``: the cost of any walk without memo."""
    sizes: dict[int, int] = {}
    stack = [(node, False)]
    while stack:
        current, done = stack.pop()
        if id(current) in sizes:
            continue
        if done or not current.args:
            sizes[id(current)] = min(limit + 1, 1 + sum(sizes[id(a)] for a in current.args))
            continue
        stack.append((current, True))
        stack.extend((a, False) for a in current.args if id(a) not in sizes)
    return sizes[id(node)]


# ---------------------------------------------------------------- exact derivatives


def derivative(node: Node, name: str, _memo: dict | None = None) -> Node:
    """The exact partial derivative of ``node`` with respect to variable ``name``."""
    if name not in node.free:
        return ZERO
    memo = {} if _memo is None else _memo
    key = id(node)
    cached = memo.get(key)
    if cached is not None:
        return cached[1]
    result = _derive(node, name, memo)
    memo[key] = (node, result)  # keep node alive so its id stays unique
    return result


def _derive(node: Node, x: str, memo: dict) -> Node:
    op = node.op
    if op == "var":
        return ONE
    d = lambda n: derivative(n, x, memo)  # noqa: E731
    if op == "add":
        return add(d(node.args[0]), d(node.args[1]))
    if op == "sum":
        positions = node.terms_with(x)
        return make_sum([d(node.args[i]) for i in positions], [node.data[i] for i in positions])
    if op == "sub":
        return sub(d(node.args[0]), d(node.args[1]))
    if op == "neg":
        return neg(d(node.args[0]))
    if op == "mul":
        a, b = node.args
        return add(mul(d(a), b), mul(a, d(b)))
    if op == "div":
        a, b = node.args
        # (a/b)' = a'/b - a b'/b^2
        return sub(div(d(a), b), div(mul(a, d(b)), power(b, const(2.0))))
    if op == "pow":
        a, b = node.args
        if x not in b.free:
            # d(a^c) = c a^(c-1) a'
            return mul(mul(b, power(a, sub(b, ONE))), d(a))
        if x not in a.free:
            return mul(mul(node, call("log", a)), d(b))
        return mul(node, add(mul(d(b), call("log", a)), div(mul(b, d(a)), a)))
    if op == "call":
        return _derive_call(node, x, d)
    raise AssertionError(op)


def _derive_call(node: Node, x: str, d) -> Node:
    name = node.data
    if name in ("atan2", "hypot"):
        a, b = node.args
        if name == "atan2":  # atan2(a, b) = angle of (b, a)
            return div(sub(mul(b, d(a)), mul(a, d(b))), add(power(a, const(2.0)), power(b, const(2.0))))
        return div(add(mul(a, d(a)), mul(b, d(b))), node)
    (u,) = node.args
    du = d(u)
    if _is_const(du, 0.0):
        return ZERO
    two = const(2.0)
    if name == "sin":
        outer = call("cos", u)
    elif name == "cos":
        outer = neg(call("sin", u))
    elif name == "tan":
        outer = div(ONE, power(call("cos", u), two))
    elif name == "asin":
        outer = div(ONE, call("sqrt", sub(ONE, power(u, two))))
    elif name == "acos":
        outer = neg(div(ONE, call("sqrt", sub(ONE, power(u, two)))))
    elif name == "atan":
        outer = div(ONE, add(ONE, power(u, two)))
    elif name == "sinh":
        outer = call("cosh", u)
    elif name == "cosh":
        outer = call("sinh", u)
    elif name == "tanh":
        outer = sub(ONE, power(node, two))
    elif name == "exp":
        outer = node
    elif name in ("log", "ln"):
        outer = div(ONE, u)
    elif name == "log10":
        outer = div(ONE, mul(u, const(math.log(10.0))))
    elif name == "log2":
        outer = div(ONE, mul(u, const(math.log(2.0))))
    elif name == "sqrt":
        outer = div(ONE, mul(two, node))
    elif name == "abs":
        outer = call("sign", u)
    elif name == "sign":
        return ZERO
    else:  # pragma: no cover - whitelist and derivative table are kept in step
        raise AssertionError(name)
    return mul(outer, du)


# ---------------------------------------------------------------- evaluation


def evaluate(node: Node, env: Mapping[str, object], memo: dict | None = None, functions=None):
    """Evaluate a node by walking it. Scalars use ``math``; pass ``functions`` to
    evaluate on other types (NumPy arrays, pint quantities)."""
    memo = {} if memo is None else memo
    funcs = _SCALAR_FUNCTIONS if functions is None else functions
    return _eval(node, env, memo, funcs)


def _eval(node: Node, env, memo, funcs):
    op = node.op
    if op == "const":
        return node.data
    if op == "var":
        return env[node.data]
    key = id(node)
    if key in memo:
        return memo[key][1]
    args = [_eval(a, env, memo, funcs) for a in node.args]
    if op == "sum":
        value = args[0] if node.data[0] > 0 else -args[0]
        for sign, a in zip(node.data[1:], args[1:]):
            value = value + a if sign > 0 else value - a
        memo[key] = (node, value)
        return value
    if op == "add":
        value = args[0] + args[1]
    elif op == "sub":
        value = args[0] - args[1]
    elif op == "mul":
        value = args[0] * args[1]
    elif op == "div":
        value = args[0] / args[1]
    elif op == "pow":
        value = args[0] ** args[1]
    elif op == "neg":
        value = -args[0]
    else:
        value = funcs[node.data](*args)
    memo[key] = (node, value)
    return value


# ---------------------------------------------------------------- value and gradient


def value_and_gradient(node: Node, env: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """The value of ``node`` at ``env`` and its exact partial derivatives with respect to
    every free variable, by reverse-mode differentiation: one sweep forward over the DAG
    for the values, one backward for the adjoints, each node's local derivative taken from
    the table of :func:`derivative`. The cost is a small multiple of one evaluation,
    whatever the number of variables; symbolic derivatives cost one walk per variable.
    Python floats and ``math``, so domain errors raise as :func:`evaluate` does."""
    values: dict[int, float] = {}
    order: list[Node] = []
    value = _forward(node, env, values, order)
    grad: dict[str, float] = {}
    if node.op == "var":
        grad[node.data] = 1.0
        return value, grad
    adjoint: dict[int, float] = {id(node): 1.0}

    def give(child: Node, g: float) -> None:
        if child.op == "var":
            grad[child.data] = grad.get(child.data, 0.0) + g
        elif child.free:
            key = id(child)
            adjoint[key] = adjoint.get(key, 0.0) + g

    for current in reversed(order):
        g = adjoint.get(id(current))
        if g is None:
            continue
        op, args = current.op, current.args
        if op == "sum":
            for sign, term in zip(current.data, args):
                give(term, g if sign > 0 else -g)
            continue
        a = args[0]
        va = a.data if a.op == "const" else env[a.data] if a.op == "var" else values[id(a)]
        if op == "neg":
            give(a, -g)
            continue
        if op == "call" and len(args) == 1:
            if a.free:
                give(a, g * _outer_derivative(current.data, va, values[id(current)]))
            continue
        b = args[1]
        vb = b.data if b.op == "const" else env[b.data] if b.op == "var" else values[id(b)]
        if op == "add":
            give(a, g)
            give(b, g)
        elif op == "sub":
            give(a, g)
            give(b, -g)
        elif op == "mul":
            if a.free:
                give(a, g * vb)
            if b.free:
                give(b, g * va)
        elif op == "div":
            if a.free:
                give(a, g / vb)
            if b.free:
                give(b, -g * (va / vb**2.0))
        elif op == "pow":
            if a.free:  # c a^(c-1)
                give(a, g * (vb * va ** (vb - 1.0)))
            if b.free:  # a^b log a
                give(b, g * (values[id(current)] * math.log(va)))
        elif current.data == "atan2":  # atan2(a, b) = angle of (b, a)
            r2 = va**2.0 + vb**2.0
            if a.free:
                give(a, g * (vb / r2))
            if b.free:
                give(b, g * (-va / r2))
        else:  # hypot
            v = values[id(current)]
            if a.free:
                give(a, g * (va / v))
            if b.free:
                give(b, g * (vb / v))
    return value, grad


def _forward(node: Node, env, values: dict, order: list):
    """Values of every inner node (by id), appending each to ``order`` after its arguments."""
    op = node.op
    if op == "const":
        return node.data
    if op == "var":
        return env[node.data]
    key = id(node)
    if key in values:
        return values[key]
    args = node.args
    if op == "sum":
        signs = node.data
        value = _forward(args[0], env, values, order)
        if signs[0] < 0:
            value = -value
        for sign, term in zip(signs[1:], args[1:]):
            term_value = _forward(term, env, values, order)
            value = value + term_value if sign > 0 else value - term_value
    else:
        a = _forward(args[0], env, values, order)
        if op == "neg":
            value = -a
        elif len(args) == 1:
            value = _SCALAR_FUNCTIONS[node.data](a)
        else:
            b = _forward(args[1], env, values, order)
            if op == "mul":
                value = a * b
            elif op == "div":
                value = a / b
            elif op == "add":
                value = a + b
            elif op == "sub":
                value = a - b
            elif op == "pow":
                value = a**b
            else:
                value = _SCALAR_FUNCTIONS[node.data](a, b)
    values[key] = value
    order.append(node)
    return value


_LN10, _LN2 = math.log(10.0), math.log(2.0)


def _outer_derivative(name: str, u: float, value: float) -> float:
    """f'(u) for a one-argument function, ``value`` being f(u) (the table of _derive_call)."""
    if name == "sin":
        return math.cos(u)
    if name == "cos":
        return -math.sin(u)
    if name == "tan":
        return 1.0 / math.cos(u) ** 2.0
    if name == "asin":
        return 1.0 / math.sqrt(1.0 - u**2.0)
    if name == "acos":
        return -(1.0 / math.sqrt(1.0 - u**2.0))
    if name == "atan":
        return 1.0 / (1.0 + u**2.0)
    if name == "sinh":
        return math.cosh(u)
    if name == "cosh":
        return math.sinh(u)
    if name == "tanh":
        return 1.0 - value**2.0
    if name == "exp":
        return value
    if name in ("log", "ln"):
        return 1.0 / u
    if name == "log10":
        return 1.0 / (u * _LN10)
    if name == "log2":
        return 1.0 / (u * _LN2)
    if name == "sqrt":
        return 1.0 / (2.0 * value)
    if name == "abs":
        return _sign(u)
    if name == "sign":
        return 0.0
    raise AssertionError(name)  # pragma: no cover - whitelist and derivative table are kept in step


ARRAY_FUNCTIONS = _ARRAY_FUNCTIONS


def to_text(node: Node) -> str:
    """Readable text of a node (fully parenthesised)."""
    op = node.op
    if op == "const":
        return repr(node.data)
    if op == "var":
        return node.data
    if op == "neg":
        return f"(-{to_text(node.args[0])})"
    if op == "call":
        return f"{node.data}({', '.join(to_text(a) for a in node.args)})"
    if op == "sum":
        return _join_sum(node, to_text)
    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}[op]
    return f"({to_text(node.args[0])} {sym} {to_text(node.args[1])})"


# ---------------------------------------------------------------- compilation to NumPy


def _join_sum(node: Node, render) -> str:
    parts = [("-" if node.data[0] < 0 else "") + render(node.args[0])]
    parts += [(" + " if sign > 0 else " - ") + render(a) for sign, a in zip(node.data[1:], node.args[1:])]
    return "(" + "".join(parts) + ")"


def _source(node: Node, names: Mapping[str, str]) -> str:
    op = node.op
    if op == "const":
        return repr(node.data)
    if op == "var":
        return names[node.data]
    if op == "neg":
        return f"(-{_source(node.args[0], names)})"
    if op == "call":
        return f"_f_{node.data}({', '.join(_source(a, names) for a in node.args)})"
    if op == "sum":
        return _join_sum(node, lambda a: _source(a, names))
    if op == "pow" and _is_const(node.args[1], 2.0):
        base = _source(node.args[0], names)
        return f"_square({base})"
    sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}[op]
    return f"({_source(node.args[0], names)} {sym} {_source(node.args[1], names)})"


def compile_program(
    arguments: Iterable[str],
    steps: Iterable[tuple[str, Node]],
    results: Iterable[str],
) -> Callable:
    """Compile ``steps`` (name = node, in order) into a vectorised function.

    The function takes the ``arguments`` positionally (arrays) and returns a tuple of
    the ``results``. The source is generated from validated nodes only; identifiers
    are renamed to ``v<i>`` so no user-chosen name reaches the generated code.
    """
    arguments = list(arguments)
    names: dict[str, str] = {a: f"v{i}" for i, a in enumerate(arguments)}
    lines = [f"def _program({', '.join(names[a] for a in arguments)}):"]
    for name, node in steps:
        target = f"v{len(names)}"
        lines.append(f"    {target} = {_source(node, names)}")
        names[name] = target
    lines.append(f"    return ({''.join(names[r] + ', ' for r in results)})")
    namespace = {f"_f_{k}": v for k, v in _ARRAY_FUNCTIONS.items()}
    namespace["_square"] = np.square
    namespace["__builtins__"] = {}
    exec(compile("\n".join(lines), "<measurement-model>", "exec"), namespace)  # noqa: S102 - generated, not user text
    return namespace["_program"]
