"""A small registry of smart instruments with telemetry devices."""

from __future__ import annotations

from jiliang.core.identifiers import make_credit_code
from jiliang.registry import reference_data
from jiliang.registry.models import CatalogItem, Instrument, Organisation, Region

from . import services


def build_fleet(per_kind: int = 8):
    """Install the reference catalog and the Zhejiang regions, two owners in two cities,
    and ``per_kind`` instruments with a registered device for each telemetry kind (48-08.1 fuel
    dispenser, 48-04.1 taxi meter, 48-14.1 EV charger, 48-10.1a water meter, 48-05.1 price scale). For tests,
    benchmarks and a demo on an empty registry."""

    reference_data.install_reference_data()
    reference_data.install_regions(reference_data.province_regions())
    counties = list(Region.objects.filter(level="county", code__startswith="33").order_by("code"))
    places = [counties[0], next(c for c in counties if c.code[:4] != counties[0].code[:4])]
    owners = [
        Organisation.objects.create(
            name=f"Owner {i}", credit_code=make_credit_code(f"91{r.code}MA000000{i}"), kind="enterprise", region=r
        )
        for i, r in enumerate(places)
    ]
    devices = []
    n = 0
    for catalog in ("48-08.1", "48-04.1", "48-14.1", "48-10.1a", "48-05.1"):
        item = CatalogItem.objects.get(code=catalog)
        for j in range(per_kind):
            n += 1
            owner = owners[j % 2]
            inst = Instrument.objects.create(
                code=f"TEL{n:05d}", name=item.name, catalog_item=item, legal_purpose="trade", owner=owner, region=owner.region
            )
            devices.append(services.register_device(inst, verified_k=1000.0, software_id="V2.1", software_checksum="a1b2c3d4"))
    return devices
