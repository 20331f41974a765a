"""Shared fixtures. Tests that touch the database carry the django_db mark, so that the
PostgreSQL pass of scripts/test can select them with `-m django_db`."""

import pytest


@pytest.fixture
def reference_data(db):
    """Fields, quantities, specifications, the catalog, and the demo province's regions."""
    from jiliang.registry import reference_data

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())
