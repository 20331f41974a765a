"""The register's tables in ``jiliang export``/``jiliang import`` (registry.exchange), so
a registry moved between instances keeps who was authorised for what: imported events
are judged against the imported authorisations."""

from jiliang.registry.exchange.tables import Table, _refs

from . import models as m

TABLES = (
    Table(
        "authorisations",
        m.Authorisation,
        ("number", "institution", "issuing_authority", "form", "valid_from", "valid_until", "status", "revoked_on"),
        key=("number",),
        refs=_refs(institution="organisations", issuing_authority="organisations"),
    ),
    Table(
        "authorised_items",
        m.AuthorisedItem,
        ("authorisation", "catalog_item", "range_min", "range_max", "unit", "added_on", "removed_on"),
        key=("authorisation", "catalog_item", "added_on"),
        refs=_refs(authorisation="authorisations", catalog_item="catalog"),
    ),
    Table(
        "authorised_areas",
        m.AuthorisedArea,
        ("authorisation", "region", "added_on", "removed_on"),
        key=("authorisation", "region", "added_on"),
        refs=_refs(authorisation="authorisations", region="regions"),
    ),
    Table(
        "authorisation_changes",
        m.AuthorisationChange,
        ("authorisation", "action", "effective_on", "reason", "detail"),
        refs=_refs(authorisation="authorisations"),
        order=("authorisation__number", "at", "id"),
    ),
)
