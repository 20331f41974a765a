"""The models' CHECK constraints evaluated on rows before they are written."""

from __future__ import annotations

import re

from django.db import models as djm
from django.db.models import F, Q
from django.utils.translation import gettext


def _check_q(q: Q, values: dict, model) -> bool | None:
    """A check constraint's condition in SQL's three-valued logic (None = unknown, which a
    CHECK lets through), so the import accepts exactly what the database accepts."""
    results = []
    for child in q.children:
        if isinstance(child, Q):
            results.append(_check_q(child, values, model))
        else:
            results.append(_check_lookup(child[0], child[1], values, model))
    if q.connector == Q.AND:
        result = False if False in results else (None if None in results else True)
    else:
        result = True if True in results else (None if None in results else False)
    if q.negated:
        result = None if result is None else not result
    return result


def _attname(model, name: str) -> str:
    if name in ("id", "pk"):
        return "id"
    return model._meta.get_field(name).attname


def _check_lookup(lookup: str, rhs, values: dict, model) -> bool | None:
    name, _, op = lookup.partition("__")
    op = op or "exact"
    lhs = values.get(_attname(model, name))
    if op == "isnull":
        return (lhs is None) == bool(rhs)
    if isinstance(rhs, F):
        rhs = values.get(_attname(model, rhs.name))
    if op == "exact" and rhs is None:
        return lhs is None
    if lhs is None or rhs is None:
        return None
    if op == "exact":
        return lhs == rhs
    if op == "gt":
        return lhs > rhs
    if op == "gte":
        return lhs >= rhs
    if op == "lt":
        return lhs < rhs
    if op == "lte":
        return lhs <= rhs
    if op == "regex":
        return re.search(rhs, lhs) is not None
    if op == "in":
        return lhs in rhs
    raise NotImplementedError(f"lookup {op!r} in a check constraint of {model.__name__}")


def check_constraints(model) -> list[djm.CheckConstraint]:
    return [c for c in model._meta.constraints if isinstance(c, djm.CheckConstraint)]


def _constraint_fields(model, q: Q) -> set[str]:
    names: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            names |= _constraint_fields(model, child)
        else:
            names.add(child[0].split("__")[0])
            if isinstance(child[1], F):
                names.add(child[1].name)
    return {n for n in names if n not in ("id", "pk")}


def _constraint_message(model, constraint) -> str:
    return gettext("违反规则 %(rule)s（%(condition)s）") % {
        "rule": constraint.name,
        "condition": _describe_q(constraint.condition),
    }


def _describe_q(q: Q) -> str:
    parts = []
    for child in q.children:
        if isinstance(child, Q):
            parts.append(f"({_describe_q(child)})")
        else:
            rhs = child[1].name if isinstance(child[1], F) else repr(child[1])
            parts.append(f"{child[0]}={rhs}")
    text = f" {q.connector.lower()} ".join(parts)
    return f"not ({text})" if q.negated else text
