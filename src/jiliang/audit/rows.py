"""Audited rows as the database holds them: which columns a digest covers, how a row is
named, and reading rows one by one or in bulk (the same reads on writing and verifying)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cache

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models

NATURAL_KEY_FIELDS = ("code", "certificate_number", "number", "credit_code", "username", "name")
READ_BATCH = 900  # below SQLite's 999 bound parameters
SCAN_CHUNK = 20_000


def object_type_of(model_or_type) -> str:
    if isinstance(model_or_type, str):
        return model_or_type.lower()
    meta = model_or_type._meta
    return f"{meta.app_label}.{meta.model_name}"


def model_of(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


@cache
def columns(model) -> tuple[str, ...]:
    """The columns a row digest covers: every concrete column but the derived ones."""
    derived = set(getattr(model, "DERIVED_FIELDS", ()))  # recomputed from audited rows, not audited themselves
    return tuple(f.attname for f in model._meta.concrete_fields if f.attname not in derived)


def has_integer_pk(model) -> bool:
    return isinstance(model._meta.pk, (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField))


@cache
def _natural_key_field(model) -> str | None:
    """The column that names a row for people (code, certificate number, …), if any."""
    names = {f.name: f for f in model._meta.concrete_fields}
    for name in NATURAL_KEY_FIELDS:
        f = names.get(name)
        if f is not None and (f.unique or name == "name"):
            return f.attname
    return None


def natural_key(instance_or_row, model) -> str:
    name = _natural_key_field(model)
    if name is None:
        return ""
    value = instance_or_row.get(name) if isinstance(instance_or_row, Mapping) else getattr(instance_or_row, name, None)
    return "" if value in (None, "") else str(value)[:200]


def read_row(model, pk) -> dict | None:
    """The row as the database holds it (what digests are computed over)."""
    cols = columns(model)
    values = model._base_manager.filter(pk=pk).values_list(*cols).first()
    return None if values is None else dict(zip(cols, values))


def read_rows(model, pks: list) -> Iterator[tuple]:
    """Rows for many primary keys: one range scan when the keys are dense, else batches."""
    cols = columns(model)
    manager = model._base_manager
    pk_name = model._meta.pk.attname
    if not pks:
        return
    ints = all(type(p) is int for p in pks)
    if ints and max(pks) - min(pks) < 2 * len(pks):
        wanted = set(pks)
        rows = manager.filter(pk__gte=min(pks), pk__lte=max(pks)).order_by().values_list(*cols).iterator(chunk_size=SCAN_CHUNK)
        pk_pos = cols.index(pk_name)
        yield from (r for r in rows if r[pk_pos] in wanted)
        return
    for start in range(0, len(pks), READ_BATCH):
        yield from manager.filter(pk__in=pks[start : start + READ_BATCH]).order_by().values_list(*cols)


def scan_rows(model, first_pk=None) -> Iterator[tuple]:
    """Every row of the table (from ``first_pk`` on), streamed in chunks, in no set order."""
    queryset = model._base_manager.order_by()
    if first_pk is not None:
        queryset = queryset.filter(pk__gte=first_pk)
    return queryset.values_list(*columns(model)).iterator(chunk_size=SCAN_CHUNK)


def pk_values(model, ids: Iterable[str]) -> list:
    to_python = model._meta.pk.to_python
    out = []
    for i in ids:
        try:
            out.append(to_python(i))
        except ValidationError:
            continue
    return out
