"""The registry's tables as files: each table's fields in column order, its natural key, and
its foreign keys written as the natural keys of the tables they point to."""

from __future__ import annotations

from dataclasses import dataclass

from .. import models as m

FORMATS = ("csv", "jsonl", "xlsx")
CSV_ENCODING = "utf-8-sig"  # written with a BOM so Excel reads UTF-8; read with or without


@dataclass(frozen=True)
class Table:
    """How one table is written: its fields in column order, its natural key, and for each
    foreign key the table it points to (written as that table's natural key)."""

    name: str
    model: type
    fields: tuple[str, ...]
    key: tuple[str, ...] = ()
    refs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (field, target table, column names)
    order: tuple[str, ...] = ()  # export order of a table without natural key (paths)

    def ref(self, field: str):
        for f, target, columns in self.refs:
            if f == field:
                return target, columns
        return None


def _refs(**targets) -> tuple:
    """field=target or field=(target, (column names…)) → the refs tuple."""
    out = []
    for field, target in targets.items():
        if isinstance(target, tuple):
            out.append((field, target[0], target[1]))
        else:
            out.append((field, target, (field,)))
    return tuple(out)


_StandardSpecification = m.MeasurementStandard.specifications.through
_StandardCatalogItem = m.MeasurementStandard.catalog_items.through
_PERSON_COLUMNS = ("person_organisation", "person_name")

TABLE_LIST: tuple[Table, ...] = (
    Table("regions", m.Region, ("code", "name", "level", "parent"), key=("code",), refs=_refs(parent="regions")),
    Table("fields", m.MetrologyField, ("code", "name", "name_en"), key=("code",)),
    Table(
        "organisations",
        m.Organisation,
        ("credit_code", "name", "kind", "region", "address"),
        key=("credit_code",),
        refs=_refs(region="regions"),
    ),
    Table("quantities", m.Quantity, ("name", "name_en", "field", "unit"), key=("name",), refs=_refs(field="fields")),
    Table(
        "specifications",
        m.Specification,
        ("code", "title", "kind", "status", "field", "supersedes", "required_ratio"),
        key=("code",),
        refs=_refs(field="fields", supersedes="specifications"),
    ),
    Table(
        "catalog",
        m.CatalogItem,
        (
            "code",
            "name",
            "name_en",
            "category",
            "field",
            "quantity",
            "regulation",
            "number",
            "split",
            "supervision",
            "legal_purposes",
            "management_mode",
            "requirement",
            "period_months",
            "service_life_years",
        ),
        key=("code",),
        refs=_refs(field="fields", quantity="quantities", regulation="specifications"),
    ),
    Table(
        "type_approvals",
        m.TypeApproval,
        ("number", "catalog_item", "manufacturer", "model", "name", "authority", "approved_on", "valid_until", "status"),
        key=("number",),
        refs=_refs(catalog_item="catalog"),
    ),
    Table(
        "primary_standards",
        m.PrimaryStandard,
        ("code", "name", "quantity", "range_min", "range_max", "unit", "uncertainty", "k", "holder"),
        key=("code",),
        refs=_refs(quantity="quantities", holder="organisations"),
    ),
    Table(
        "standards",
        m.MeasurementStandard,
        (
            "certificate_number",
            "name",
            "tier",
            "level",
            "rank",
            "holder",
            "field",
            "issuing_department",
            "valid_from",
            "valid_until",
            "status",
            "published",
            "recalibration_months",
        ),
        key=("certificate_number",),
        refs=_refs(holder="organisations", field="fields", issuing_department="organisations"),
    ),
    Table(
        "standard_specifications",
        _StandardSpecification,
        ("measurementstandard", "specification"),
        key=("measurementstandard", "specification"),
        refs=_refs(measurementstandard=("standards", ("standard",)), specification="specifications"),
    ),
    Table(
        "standard_catalog_items",
        _StandardCatalogItem,
        ("measurementstandard", "catalogitem"),
        key=("measurementstandard", "catalogitem"),
        refs=_refs(measurementstandard=("standards", ("standard",)), catalogitem=("catalog", ("catalog_item",))),
    ),
    Table(
        "standard_status_changes",
        m.StandardStatusChange,
        ("standard", "status", "effective_on", "reason"),
        refs=_refs(standard="standards"),
        order=("standard__certificate_number", "effective_on", "id"),
    ),
    Table(
        "capabilities",
        m.Capability,
        ("standard", "quantity", "range_min", "range_max", "unit", "uncertainty", "k", "relative", "accuracy_class", "mpe"),
        refs=_refs(standard="standards", quantity="quantities"),
        order=("standard__certificate_number", "id"),
    ),
    Table(
        "reference_materials",
        m.ReferenceMaterial,
        ("number", "name", "level", "producer", "expires_on"),
        key=("number",),
        refs=_refs(producer="organisations"),
    ),
    Table(
        "certified_values",
        m.CertifiedValue,
        ("material", "component", "value", "unit", "uncertainty", "k"),
        key=("material", "component"),
        refs=_refs(material="reference_materials"),
    ),
    Table("people", m.Person, ("organisation", "name"), key=("organisation", "name"), refs=_refs(organisation="organisations")),
    Table(
        "qualifications",
        m.Qualification,
        ("person", "kind", "certificate_number", "specialty", "catalog_item", "organisation", "valid_from", "valid_until"),
        refs=_refs(person=("people", _PERSON_COLUMNS), catalog_item="catalog", organisation=("organisations", ("organisation",))),
        order=("person__organisation__credit_code", "person__name", "kind", "certificate_number", "id"),
    ),
    Table(
        "instruments",
        m.Instrument,
        (
            "code",
            "name",
            "catalog_item",
            "legal_purpose",
            "owner",
            "region",
            "manufacturer",
            "model",
            "serial_number",
            "type_approval_number",
            "accuracy",
            "range_min",
            "range_max",
            "unit",
            "status",
            "installed_on",
            "standard",
            "period_months",
            "service_life_years",
        ),
        key=("code",),
        refs=_refs(catalog_item="catalog", owner="organisations", region="regions", standard="standards"),
    ),
    Table(
        "events",
        m.CalibrationEvent,
        (
            "certificate_number",
            "instrument",
            "kind",
            "performed_on",
            "valid_until",
            "performer",
            "person",
            "primary_standard",
            "external_source",
            "specification",
            "passed",
            "results",
            "uncertainty",
            "recalibration_due",
        ),
        key=("certificate_number",),
        refs=_refs(
            instrument="instruments",
            performer="organisations",
            person=("people", _PERSON_COLUMNS),
            primary_standard="primary_standards",
            specification="specifications",
        ),
    ),
    Table(
        "event_standards",
        m.EventStandard,
        ("event", "standard"),
        key=("event", "standard"),
        refs=_refs(event="events", standard="standards"),
    ),
)
TABLES: dict[str, Table] = {t.name: t for t in TABLE_LIST}
TABLE_NAMES: list[str] = list(TABLES)  # also the dependency order


def register_tables(tables, after: str) -> None:
    """Add the tables of an app above the registry (its ready() calls this: the registry
    imports no app above it), in dependency order after the table ``after``. The names
    and the table map change in place, so every importer of them sees the new tables."""
    position = TABLE_NAMES.index(after) + 1
    for table in tables:
        if table.name in TABLES:
            continue
        TABLES[table.name] = table
        TABLE_NAMES.insert(position, table.name)
        position += 1


def key_paths(table: Table) -> list[str]:
    """ORM paths of a table's natural key, foreign keys expanded to their targets' keys."""
    paths: list[str] = []
    for field in table.key:
        ref = table.ref(field)
        paths.extend([f"{field}__{p}" for p in key_paths(TABLES[ref[0]])] if ref else [field])
    return paths


def columns(table: Table) -> list[tuple[str, str]]:
    """(column name, ORM path) in file order."""
    out = []
    for field in table.fields:
        ref = table.ref(field)
        if ref:
            out.extend(zip(ref[1], [f"{field}__{p}" for p in key_paths(TABLES[ref[0]])]))
        else:
            out.append((field, field))
    return out


def column_names(table_name: str) -> list[str]:
    return [c for c, _ in columns(TABLES[table_name])]


def _check_table_definitions() -> None:
    for t in TABLE_LIST:
        for field, target, cols in t.refs:
            if len(cols) != len(key_paths(TABLES[target])):
                raise AssertionError(f"{t.name}.{field}: {len(cols)} columns for the key of {target}")


_check_table_definitions()
