"""Shipped reference data: the ten metrology fields, quantities, specifications, the
catalog of instruments under mandatory management, and GB/T 2260 region codes."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from django.db import transaction

from jiliang.core import identifiers

from . import models

# The national institute holding the primary standards sits outside the demo province.
BEIJING_REGIONS = [
    {"code": "110000", "name": "北京市"},
    {"code": "110100", "name": "北京市市辖区"},
    {"code": "110105", "name": "朝阳区"},
]


@cache
def load_json(name: str) -> dict:
    return json.loads(resources.files("jiliang.registry").joinpath("data", name).read_text(encoding="utf-8"))


def catalog_rows() -> list[dict]:
    """The catalogue of instruments under mandatory management (catalogue.json, its source there)."""
    return load_json("catalogue.json")["catalog"]


def catalog_values(row: dict) -> dict:
    """A catalogue row's CatalogItem fields other than code and the foreign keys."""
    return {
        "number": row["number"],
        "name": row["name"],
        "name_en": row["name_en"],
        "category": row["category"],
        "split": row["split"],
        "supervision": row["supervision"],
        "legal_purposes": ",".join(row["legal_purposes"]),
        "management_mode": row["management_mode"],
        "requirement": row["requirement"],
        "period_months": row["period_months"],
        "service_life_years": row["service_life_years"],
    }


def legacy_codes() -> dict[str, str]:
    """The project's earlier invented codes (A01–A30) → the catalogue code they became."""
    return {old: row["code"] for row in catalog_rows() for old in row["legacy_codes"]}


def province_regions() -> list[dict]:
    return load_json("regions_zhejiang.json")["regions"]


@transaction.atomic
def install_regions(rows: list[dict]) -> dict[str, models.Region]:
    """Create the regions (parents first) that do not exist yet; return all by code."""
    by_code = {r.code: r for r in models.Region.objects.filter(code__in=[row["code"] for row in rows])}
    for row in sorted(rows, key=lambda r: ("province", "city", "county").index(identifiers.region_level(r["code"]))):
        if row["code"] in by_code:
            continue
        parent_code = identifiers.region_parent_code(row["code"])
        parent = by_code.get(parent_code) or (models.Region.objects.filter(code=parent_code).first() if parent_code else None)
        region = models.Region(code=row["code"], name=row["name"], level=identifiers.region_level(row["code"]), parent=parent)
        region.full_clean()
        region.save()
        by_code[row["code"]] = region
    return by_code


def reference_data_installed(data: dict | None = None) -> bool:
    """Whether every shipped field, quantity, specification and catalog item is there
    (four counts: the common case of a database installed before costs no row-by-row pass)."""
    data = data or load_json("reference.json")
    codes = [row["code"] for row in catalog_rows()]
    return (
        models.MetrologyField.objects.filter(code__in=[row["code"] for row in data["fields"]]).count() == len(data["fields"])
        and models.Quantity.objects.filter(name__in=[row["name"] for row in data["quantities"]]).count()
        == len(data["quantities"])
        and models.Specification.objects.filter(code__in=[row["code"] for row in data["specifications"]]).count()
        == len(data["specifications"])
        and models.CatalogItem.objects.filter(code__in=codes).count() == len(codes)
    )


@transaction.atomic
def install_reference_data() -> None:
    """Idempotently install fields, quantities, specifications and the catalog."""
    data = load_json("reference.json")
    if reference_data_installed(data):
        return
    fields = {}
    for row in data["fields"]:
        fields[row["code"]], _ = models.MetrologyField.objects.get_or_create(
            code=row["code"], defaults={"name": row["name"], "name_en": row["name_en"]}
        )
    quantities = {}
    for row in data["quantities"]:
        quantities[row["name"]], _ = models.Quantity.objects.get_or_create(
            name=row["name"], defaults={"name_en": row["name_en"], "field": fields[row["field"]], "unit": row["unit"]}
        )
    specs = {s.code: s for s in models.Specification.objects.all()}
    for row in data["specifications"]:
        if row["code"] not in specs:
            specs[row["code"]] = models.Specification.objects.create(
                code=row["code"], title=row["title"], kind=row["kind"], status=row["status"]
            )
    for row in data["specifications"]:
        if row["supersedes"] and specs[row["code"]].supersedes_id is None:
            specs[row["code"]].supersedes = specs[row["supersedes"]]
            specs[row["code"]].save(update_fields=["supersedes"])
    for row in catalog_rows():
        models.CatalogItem.objects.get_or_create(
            code=row["code"],
            defaults={
                **catalog_values(row),
                "field": fields[row["field"]],
                "quantity": quantities[row["quantity"]],
                "regulation": specs[row["regulation"]] if row["regulation"] else None,
            },
        )
        spec = specs.get(row["regulation"])
        if spec is not None and spec.field_id is None:
            spec.field = fields[row["field"]]
            spec.save(update_fields=["field"])
