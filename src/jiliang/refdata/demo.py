"""The demo's standard reference data: the CODATA subset shipped in ``data/`` (its files
cite the source), imported by the provincial institute's staff as version 1 (approved by
the national administrator) and version 2 (the 2022 adjustment, left under review), so the
catalogue, a citation, the resolver and the review are all there to see. Through the
services; hooked into the demo by one line in ``console.demo_activity``."""

from __future__ import annotations

from pathlib import Path

from . import services

DATA = Path(__file__).parent / "data"


def plant_refdata(cast) -> None:
    staff, admin = cast.users.get("institute"), cast.users.get("admin")
    if staff is None or admin is None:
        return
    first = services.import_version(staff, DATA / "codata-2018.yaml", cast.institute)
    services.submit(staff, first)
    services.approve(admin, first, "来源与数值已核对 / source and values checked")
    second = services.import_version(staff, DATA / "codata-2022.yaml", cast.institute)
    services.submit(staff, second)
