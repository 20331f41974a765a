"""The importer: every row parsed, resolved and checked, then all written in one transaction
(and put on the audit ledger in batches), or nothing written and every error listed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db import models as djm
from django.utils.translation import gettext as _

from jiliang.audit.models import AuditEntry
from jiliang.audit.services import record_batches, tracked_models
from jiliang.messages import enumeration

from .. import models as m
from .. import services
from .constraints import _check_q, _constraint_fields, _constraint_message, check_constraints
from .errors import BadValue, ImportRejected, RowError
from .readers import Source, open_sources
from .tables import TABLE_NAMES, TABLES, Table, column_names, key_paths
from .values import _converter, _messages, _text

WRITE_BATCH = 2000
# Tables whose written rows are checked against the shared write rules before the commit.
CHECKED_AFTER_WRITE = {"events"}
LOOKUP_BATCH = 500
# Fields the model declares non-blank but the shipped reference data leaves empty: a
# dimensionless quantity (pH值) has no unit symbol, and standards and capabilities copy
# it. Accepted so the registry round-trips.
BLANK_ALLOWED = {("quantities", "unit"), ("primary_standards", "unit"), ("capabilities", "unit"), ("certified_values", "unit")}


@dataclass(slots=True)
class _Row:
    number: int | None
    source: str
    values: dict | tuple  # attname → value (a foreign key: pk or negative placeholder); a tuple once checked
    refs: dict  # field → natural key tuple
    placeholder: int
    ok: bool = True
    key: tuple | None = None


class _Importer:
    def __init__(self):
        self.errors: list[RowError] = []
        self.rows: dict[str, list[_Row]] = {}
        self.key_index: dict[str, dict[tuple, int]] = {}  # table → natural key → placeholder
        self.next_placeholder = -1
        self.pk_of: dict[int, int] = {}  # placeholder → primary key once written
        self.waves: dict[str, list[list[_Row]]] = {}  # write order where rows refer to their own table
        self.written: dict[str, list[int]] = {}  # table → primary keys of the rows written
        self.row_of: dict[str, dict[int, _Row]] = {}  # table → primary key → its row, for checks after the write

    def error(self, table, row: _Row | None, field, reason, number=None, source=""):
        self.errors.append(RowError(table, row.number if row else number, field, reason, row.source if row else source))
        if row:
            row.ok = False

    # ---- parsing

    def parse(self, table: Table, sources: list[Source]) -> None:
        model = table.model
        plain = [f for f in table.fields if not table.ref(f)]
        fields = {f: model._meta.get_field(f) for f in table.fields}
        convert = {f: _converter(fields[f]) for f in plain}
        choices = {f: {str(c[0]) for c in fields[f].flatchoices} for f in plain if fields[f].choices}
        known = set(column_names(table.name))
        required_columns = {f for f in plain if _required(fields[f])} | {
            c for f in table.fields if table.ref(f) and _required(fields[f]) for c in table.ref(f)[1]
        }
        plain_specs = [(f, fields[f], convert[f], choices.get(f)) for f in plain]
        ref_specs = [(f, fields[f], table.ref(f)[1]) for f in table.fields if table.ref(f)]
        key_specs = [(True, f) if table.ref(f) else (False, fields[f].attname) for f in table.key]
        rows = self.rows.setdefault(table.name, [])
        keys = self.key_index.setdefault(table.name, {})
        first_rows: dict[tuple, int | None] = {}
        for source in sources:
            checked_header = source.native  # JSONL lines are checked one by one
            for number, raw in source.rows:
                if isinstance(raw, str):
                    self.error(table.name, None, "", raw, number, source.label)
                    continue
                if isinstance(raw, tuple):  # (column, reason)
                    self.error(table.name, None, raw[0], raw[1], number, source.label)
                    continue
                if not checked_header:
                    checked_header = True
                    if not self._check_header(table, raw.keys(), known, required_columns, source):
                        break
                row = _Row(number, source.label, {}, {}, self.next_placeholder)
                self.next_placeholder -= 1
                if source.native:
                    for col in raw.keys() - known:
                        self.error(table.name, row, col, _("未知的列"))
                for f, field, conv, allowed in plain_specs:
                    self._parse_field(table, row, f, field, conv, allowed, raw.get(f), source.native)
                for f, field, cols in ref_specs:
                    self._parse_ref(table, row, f, field, cols, raw)
                if table.key:
                    key = []
                    for is_ref, name in key_specs:
                        key.extend(row.refs.get(name, (None,)) if is_ref else (row.values.get(name),))
                    key = tuple(key)
                    if any(p in ("", None) for p in key):
                        pass  # already reported as required
                    elif key in keys:
                        self.error(
                            table.name,
                            row,
                            _first_column(table),
                            _("键 %(key)s 重复（第 %(row)s 行也是）") % {"key": _show(key), "row": first_rows[key]},
                        )
                    else:
                        keys[key] = row.placeholder
                        first_rows[key] = row.number
                    row.key = key
                rows.append(row)

    def _check_header(self, table, header, known, required_columns, source) -> bool:
        header = set(header)
        for col in sorted(header - known):
            self.error(table.name, None, col, _("未知的列"), 1, source.label)
        missing = sorted(required_columns - header)
        for col in missing:
            self.error(table.name, None, col, _("缺少此列"), 1, source.label)
        return not missing

    def _parse_field(self, table, row, name, field, convert, allowed, raw, native):
        try:
            value = convert(raw, native)
        except BadValue as exc:
            self.error(table.name, row, name, str(exc))
            return
        if value is None or value == "":
            if field.has_default() and not (isinstance(field, djm.CharField) and field.blank):
                value = field.get_default()
            elif isinstance(field, djm.CharField):
                value = "" if not field.null else None
        blank_ok = field.blank or (table.name, name) in BLANK_ALLOWED
        if value is None and not field.null and not blank_ok or (value == "" and not blank_ok):
            self.error(table.name, row, name, _("必填"))
            return
        if value is not None and value != "":
            if allowed is not None and str(value) not in allowed:
                self.error(
                    table.name,
                    row,
                    name,
                    _("%(got)s 不是以下取值之一：%(options)s") % {"got": repr(value), "options": enumeration(sorted(allowed))},
                )
                return
            try:
                field.run_validators(value)
            except ValidationError as exc:
                self.error(table.name, row, name, _messages(exc))
                return
        row.values[field.attname] = value

    def _parse_ref(self, table, row, name, field, cols, raw):
        parts = []
        for c in cols:
            try:
                v = _text(raw.get(c))
            except BadValue as exc:
                self.error(table.name, row, c, str(exc))
                return
            parts.append(v.strip())
        parts = tuple(parts)
        if all(p == "" for p in parts):
            if not field.null:
                self.error(table.name, row, cols[0], _("必填"))
            row.values[field.attname] = None
            return
        for c, p in zip(cols, parts):
            if p == "":
                self.error(table.name, row, c, _("填写 %(others)s 时必填") % {"others": enumeration(x for x in cols if x != c)})
                return
        row.refs[name] = parts

    # ---- references, uniqueness, rules

    def resolve(self, table: Table) -> None:
        rows = self.rows[table.name]
        for field, target, cols in table.refs:
            attname = table.model._meta.get_field(field).attname
            in_import = self.key_index.get(target, {})
            wanted = {r.refs[field] for r in rows if field in r.refs and r.refs[field] not in in_import}
            in_db = _db_keys(TABLES[target], wanted)
            label = target.replace("_", " ")
            for r in rows:
                key = r.refs.get(field)
                if key is None:
                    continue
                pk = in_import.get(key) or in_db.get(key)
                if pk is None:
                    self.error(
                        table.name,
                        r,
                        cols[0],
                        _("导入文件和数据库中都没有 %(table)s %(key)s") % {"table": label, "key": _show(key)},
                    )
                else:
                    r.values[attname] = pk
        if table.key:
            existing = _db_keys(table, {r.key for r in rows if r.key})
            for r in rows:
                if r.key in existing:
                    self.error(table.name, r, _first_column(table), _("键 %(key)s 重复：数据库中已有") % {"key": _show(r.key)})
        self._check_unique_fields(table, rows)

    def _check_unique_fields(self, table, rows):
        """Unique fields other than the natural key (a specification supersedes one code at most)."""
        key_fields = set(table.key)
        for field in table.model._meta.fields:
            if not field.unique or field.primary_key or field.name in key_fields:
                continue
            column = (table.ref(field.name) or (None, (field.name,)))[1][0]
            seen: dict = {}
            for r in rows:
                value = r.values.get(field.attname)
                if value is None or value == "":
                    continue
                if value in seen:
                    self.error(
                        table.name,
                        r,
                        column,
                        _("%(field)s 与第 %(row)s 行相同；此项必须唯一") % {"field": field.name, "row": seen[value].number},
                    )
                else:
                    seen[value] = r
            taken = set()
            real = [v for v in seen if not (isinstance(v, int) and v < 0 and field.is_relation)]
            for i in range(0, len(real), LOOKUP_BATCH):
                taken |= set(
                    table.model.objects.filter(**{f"{field.attname}__in": real[i : i + LOOKUP_BATCH]}).values_list(
                        field.attname, flat=True
                    )
                )
            for value in taken:
                self.error(
                    table.name,
                    seen[value],
                    column,
                    _("%(field)s 已被数据库中的记录使用；此项必须唯一") % {"field": field.name},
                )

    def check_rules(self, table: Table) -> None:
        model = table.model
        constraints = [(c, _constraint_fields(model, c.condition)) for c in check_constraints(model)]
        has_clean = model.clean is not djm.Model.clean
        for r in self.rows[table.name]:
            if not r.ok:
                continue
            if table.name == "standards" and r.values.get("valid_until") is None and r.values.get("valid_from"):
                r.values["valid_until"] = m.default_valid_until(r.values["valid_from"])  # what save() does
            values = dict(r.values, id=r.placeholder)
            for constraint, names in constraints:
                if _check_q(constraint.condition, values, model) is False:
                    where = "+".join(_column_of(table, f) for f in table.fields if f in names)
                    self.error(table.name, r, where, _constraint_message(model, constraint))
            if has_clean and r.ok:
                instance = self._instance_for_clean(table, r)
                try:
                    instance.clean()
                except ValidationError as exc:
                    if hasattr(exc, "error_dict"):
                        for name, errs in exc.error_dict.items():
                            self.error(
                                table.name,
                                r,
                                "" if name == "__all__" else _column_of(table, name),
                                " ".join(m_ for e in errs for m_ in e.messages),
                            )
                    else:
                        self.error(table.name, r, "", _messages(exc))

    def _instance_for_clean(self, table: Table, r: _Row):
        model = table.model
        instance = model(**r.values)
        instance.pk = r.placeholder
        # clean() may read a related object's natural key (a region's parent code).
        for field, target, _cols in table.refs:
            key = r.refs.get(field)
            target_table = TABLES[target]
            if key and len(target_table.key) == 1 and not target_table.ref(target_table.key[0]):
                related = self._related_for_clean(target_table, key[0])
                related.pk = r.values.get(model._meta.get_field(field).attname)
                model._meta.get_field(field).set_cached_value(instance, related)
        return instance

    def _related_for_clean(self, target_table: Table, key):
        """The row a foreign key names, with its values (clean() may judge them: a catalogue
        item's period maximum): from this import's rows, else the database, else its key alone."""
        cache = self.__dict__.setdefault("_related_cache", {})
        name = target_table.key[0]
        if target_table.name not in cache:
            # Rows of a table already checked hold their values as tuples (release()).
            attnames = [target_table.model._meta.get_field(f).attname for f in target_table.fields]
            values = (
                t.values if isinstance(t.values, dict) else dict(zip(attnames, t.values))
                for t in self.rows.get(target_table.name, ())
                if t.ok
            )
            cache[target_table.name] = {v.get(name): v for v in values}
        row = cache[target_table.name].get(key)
        if row is not None:
            return target_table.model(**row)
        stored = cache.setdefault((target_table.name, "db"), {})
        if key not in stored:
            stored[key] = target_table.model._base_manager.filter(**{name: key}).first()
        return stored[key] or target_table.model(**{name: key})

    def release(self, table: Table) -> None:
        """Drop what only the checks needed and keep values as tuples, to hold a large
        import in less memory until it is written."""
        attnames = [table.model._meta.get_field(f).attname for f in table.fields]
        for r in self.rows[table.name]:
            r.refs = None
            r.key = None
            r.values = tuple(r.values.get(a) for a in attnames)

    # ---- writing

    def write(self, table: Table) -> int:
        rows = self.rows[table.name]
        model = table.model
        fk_attnames = [model._meta.get_field(f).attname for f, _, _ in table.refs]
        attnames = [model._meta.get_field(f).attname for f in table.fields]
        written = self.written.setdefault(table.name, [])
        n = 0
        for wave in self.waves.pop(table.name, [rows]):
            for i in range(0, len(wave), WRITE_BATCH):
                batch = wave[i : i + WRITE_BATCH]
                objs = []
                for r in batch:
                    values = dict(zip(attnames, r.values))
                    for a in fk_attnames:
                        v = values.get(a)
                        if v is not None and v < 0:
                            values[a] = self.pk_of[v]
                    objs.append(model(**values))
                model.objects.bulk_create(objs, batch_size=WRITE_BATCH)
                for r, obj in zip(batch, objs):
                    if obj.pk is None:
                        raise DatabaseError(f"{model.__name__}: the database did not return new ids")
                    self.pk_of[r.placeholder] = obj.pk
                    written.append(obj.pk)
                    if table.name in CHECKED_AFTER_WRITE:
                        self.row_of.setdefault(table.name, {})[obj.pk] = r
                n += len(objs)
        return n

    def _waves(self, table, rows, self_refs) -> list[list[_Row]]:
        """Rows pointing at rows of the same import come after them (a region after its parent)."""
        if not self_refs:
            return [rows]
        by_placeholder = {r.placeholder: r for r in rows}
        depth: dict[int, int] = {}

        def depth_of(r: _Row, trail: tuple = ()) -> int:
            if r.placeholder in depth:
                return depth[r.placeholder]
            d = 0
            for a in self_refs:
                target = r.values.get(a)
                if target is not None and target < 0 and target in by_placeholder:
                    if target in trail or target == r.placeholder:
                        loop = (trail + (r.placeholder,))[(trail + (r.placeholder,)).index(target) :]
                        raise _Cycle([by_placeholder[p] for p in loop])
                    d = max(d, depth_of(by_placeholder[target], trail + (r.placeholder,)) + 1)
            depth[r.placeholder] = d
            return d

        waves: dict[int, list[_Row]] = defaultdict(list)
        for r in rows:
            waves[depth_of(r)].append(r)
        return [waves[d] for d in sorted(waves)]

    def check_cycles(self, table: Table) -> None:
        self_refs = [(table.model._meta.get_field(f).attname, cols[0]) for f, target, cols in table.refs if target == table.name]
        if not self_refs:
            return
        try:
            self.waves[table.name] = self._waves(table, self.rows[table.name], [a for a, _ in self_refs])
        except _Cycle as exc:
            first = min(exc.rows, key=lambda r: (r.source, r.number or 0))
            others = enumeration(str(r.number) for r in exc.rows if r is not first)
            self.error(
                table.name,
                first,
                self_refs[0][1],
                _("引用构成循环（与第 %(rows)s 行）") % {"rows": others} if others else _("引用了自身"),
            )
        except RecursionError:
            self.error(table.name, None, self_refs[0][1], _("引用嵌套过深"))


class _Cycle(Exception):
    def __init__(self, rows):
        self.rows = rows


def _required(field) -> bool:
    return not (field.null or field.blank or field.has_default())


def _first_column(table: Table) -> str:
    ref = table.ref(table.key[0])
    return ref[1][0] if ref else table.key[0]


def _column_of(table: Table, field: str) -> str:
    ref = table.ref(field)
    return ref[1][0] if ref else field


def _show(key: tuple) -> str:
    return " / ".join(map(str, key)) if len(key) > 1 else str(key[0])


def _db_keys(table: Table, keys: set[tuple]) -> dict[tuple, int]:
    """Natural key → primary key for the keys that exist in the database."""
    if not keys:
        return {}
    paths = key_paths(table)
    manager = table.model.objects
    found: dict[tuple, int] = {}
    keys = list(keys)
    for i in range(0, len(keys), LOOKUP_BATCH):
        chunk = keys[i : i + LOOKUP_BATCH]
        if len(paths) == 1:
            qs = manager.filter(**{f"{paths[0]}__in": [k[0] for k in chunk]})
        else:
            qs = manager.filter(**{f"{paths[0]}__in": {k[0] for k in chunk}, f"{paths[-1]}__in": {k[-1] for k in chunk}})
        wanted = set(chunk)
        for *key, pk in qs.values_list(*paths, "pk"):
            key = tuple(key)
            if key in wanted:
                found[key] = pk
    return found


def import_sources(sources: list[Source]) -> dict[str, int]:
    """Check every row of every source, then write them all in one transaction; or raise
    ImportRejected listing every error and write nothing."""
    by_table: dict[str, list[Source]] = defaultdict(list)
    importer = _Importer()
    for s in sources:
        if s.table not in TABLES:
            for number, reason in s.rows:
                importer.error(s.table, None, "", reason, number, s.label)
            continue
        by_table[s.table].append(s)
    if not sources:
        raise ImportRejected([RowError("", None, "", _("没有可导入的文件"))])
    names = [t for t in TABLE_NAMES if t in by_table]
    with transaction.atomic():
        for name in names:
            importer.parse(TABLES[name], by_table[name])
            importer.resolve(TABLES[name])
            importer.check_rules(TABLES[name])
            importer.check_cycles(TABLES[name])
            importer.release(TABLES[name])
        if not importer.errors and not any(importer.rows.get(name) for name in names):
            labels = _("、").join(s.label for s in sources)
            importer.error(
                names[0] if names else sources[0].table, None, "", _("文件中没有数据行：%(files)s") % {"files": labels}
            )
        if importer.errors:
            raise ImportRejected(importer.errors)
        counts = {}
        for name in names:
            try:
                counts[name] = importer.write(TABLES[name])
            except DatabaseError as exc:  # a rule the checks above missed: still all or nothing
                raise ImportRejected(
                    [RowError(name, None, "", _("数据库拒绝了这些行：%(detail)s") % {"detail": str(exc).strip()})]
                ) from exc
        # Events pass the rules every write path shares (registry.services), on the rows as written.
        for pk, field, reason in services.stored_event_refusals(importer.written.get("events", [])):
            importer.error("events", importer.row_of["events"][pk], _column_of(TABLES["events"], field), reason)
        if importer.errors:
            raise ImportRejected(importer.errors)
        # bulk_create passes the audit signals by: the rows go on the ledger in batches.
        tracked = set(tracked_models())
        for name in names:
            model = TABLES[name].model
            if model in tracked and importer.written[name]:
                files = sorted({s.label for s in by_table[name]})
                record_batches(AuditEntry.Action.IMPORT, model, pks=importer.written[name], new={"files": files})
    return counts


def import_paths(paths: Iterable[str | Path], table: str | None = None, fmt: str | None = None) -> dict[str, int]:
    """Import files (or a folder written by export) all or nothing; see import_sources."""
    return import_sources(open_sources(paths, table=table, fmt=fmt))
