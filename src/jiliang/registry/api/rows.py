"""Model instances for a list page without ``Model.__init__``.

``Model.__init__`` sets each column through its descriptor and sends two signals; for a
page of 50 to 500 rows that was about a sixth of a list request. A plain query of one
model's own columns (no select_related, annotations, deferred columns) on a model
nobody listens to at init gets its instances filled directly: the same attributes and
state ``Model.from_db`` gives. Anything else goes the ORM's way.

JSON columns are decoded by orjson (same values as ``json.loads``; anything orjson
refuses, such as NaN, falls back to the field's own decoding).
"""

from __future__ import annotations

from itertools import chain

import orjson
from django.db import connections
from django.db.models import JSONField, Model
from django.db.models.base import ModelState
from django.db.models.query import ModelIterable
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.where import AND


def _plain(queryset) -> bool:
    query = queryset.query
    model = query.model
    return not (
        query.select_related
        or query.annotation_select
        or query.extra_select
        or query.deferred_loading != (frozenset(), True)
        or queryset._known_related_objects
        or type(model).__init__ is not type.__init__
        or model.__init__ is not Model.__init__
        or model.from_db.__func__ is not Model.from_db.__func__
        or pre_init.has_listeners(model)
        or post_init.has_listeners(model)
    )


class PlainModelIterable(ModelIterable):
    def __iter__(self):
        queryset = self.queryset
        if not _plain(queryset):
            yield from super().__iter__()
            return
        db = queryset.db
        compiler = queryset.query.get_compiler(using=db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        model = compiler.klass_info["model"]
        fields = compiler.klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        attnames = [column.target.attname for column, _, _ in compiler.select[start:end]]
        whole = (start, end) == (0, len(compiler.select)) and len(attnames) == len(model._meta.concrete_fields)
        new = model.__new__
        for row in _converted_rows(compiler, results):
            if not whole:
                yield model.from_db(db, attnames, row[start:end])
                continue
            obj = new(model)
            values = obj.__dict__
            values.update(zip(attnames, row))
            state = ModelState()
            state.adding = False
            state.db = db
            values["_state"] = state
            yield obj


def _fast_json(field: JSONField):
    slow = field.from_db_value

    def from_db_value(value, expression, connection):
        if value.__class__ is str:
            try:
                return orjson.loads(value)
            except orjson.JSONDecodeError:
                pass
        return slow(value, expression, connection)

    return from_db_value


def _converted_rows(compiler, results):
    """``compiler.results_iter(results)`` with orjson for JSON columns of the standard
    decoder (json.loads of a page's ``results`` was a tenth of an event list)."""
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    converters = compiler.get_converters(fields)
    rows = chain.from_iterable(results)
    if not converters:
        return rows
    if compiler.has_composite_fields(fields):
        return compiler.results_iter(results)  # not seen on registry tables; the ORM's way
    plan = []
    for position, (functions, expression) in converters.items():
        output = getattr(expression, "output_field", None)
        if type(output) is JSONField and output.decoder is None:
            functions = [_fast_json(output) if getattr(f, "__func__", None) is JSONField.from_db_value else f for f in functions]
        plan.append((position, functions, expression))
    return _apply(rows, plan, compiler.connection)


def _apply(rows, plan, connection):
    for row in map(list, rows):
        for position, functions, expression in plan:
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        yield row


def plain_rows(queryset):
    """``queryset`` yielding its instances through ``PlainModelIterable``."""
    if queryset._iterable_class is not ModelIterable:
        return queryset  # values(), values_list(): leave alone
    queryset = queryset.all()
    queryset._iterable_class = PlainModelIterable
    return queryset


class MergedArmsIterable(PlainModelIterable):
    """A page of ``queryset`` read as the UNION ALL of ``arms``, each ordered and limited
    like the page, merged in the page's order and sliced like it.

    ``scope`` is a node of the query's top-level AND (a filter applied as is) and
    ``arms`` partition the rows it admits (each row in exactly one arm): each arm is the
    query with ``scope`` replaced by the arm, so the page is the same rows in the same
    order, cursor positions and offsets included. If ``scope`` is not found as such, the
    query runs unchanged. The point is the plan: ``a = x OR b IN (…) ORDER BY id LIMIT n``
    walks the id index filtering, where each arm alone is an ordered index scan (or a
    small sort), and PostgreSQL merges them reading only what the page needs."""

    scope = None
    arms: tuple = ()

    def __iter__(self):
        queryset = self.queryset
        query = queryset.query
        where = query.where
        if (
            not query.order_by
            or query.high_mark is None
            or query.distinct
            or query.combinator
            or query.select_for_update
            or len(self.arms) < 2
            or where.connector != AND
            or where.negated
            or sum(1 for child in where.children if _same_node(child, self.scope)) != 1
            or not connections[queryset.db].features.supports_slicing_ordering_in_compound
        ):
            yield from PlainModelIterable(queryset, self.chunked_fetch, self.chunk_size)
            return
        low, high = query.low_mark, query.high_mark
        base = queryset._chain()
        base._iterable_class = ModelIterable
        base.query.clear_limits()
        # The scope goes; each arm is a subset of it.
        base.query.where.children = [child for child in base.query.where.children if not _same_node(child, self.scope)]
        parts = [base.filter(arm)[:high] for arm in self.arms]
        merged = parts[0].union(*parts[1:], all=True).order_by(*query.order_by)[low:high]
        yield from PlainModelIterable(merged, self.chunked_fetch, self.chunk_size)


def _same_node(node, scope) -> bool:
    """``node`` is ``scope`` or a clone of it: a query clone copies where nodes but shares
    their lookups (comparing lookups by value computes their identities, a good part of a
    millisecond a page)."""
    if node is scope:
        return True
    children = getattr(node, "children", None)
    return (
        children is not None
        and type(node) is type(scope)
        and node.connector == scope.connector
        and node.negated == scope.negated
        and len(children) == len(scope.children)
        and all(a is b or _same_node(a, b) for a, b in zip(children, scope.children))
    )


def merged_arms(queryset, scope, arms):
    """``queryset`` (a list page) read through ``MergedArmsIterable``: ``scope`` (a node
    of ``queryset.query.where``) as the union of ``arms`` (disjoint Q objects)."""
    if queryset._iterable_class is not ModelIterable:
        return queryset
    queryset = queryset.all()
    queryset._iterable_class = type("MergedArms", (MergedArmsIterable,), {"scope": scope, "arms": tuple(arms)})
    return queryset
