"""CMCs and the KCDB (jiliang.cmc). The fixtures are real KCDB rows (their provenance is
in each file: tests/cmc/fixtures/*): CMCs in the KCDB API's searchData shape and the
degrees of equivalence of CCPR-K3.2014 as its KCDB page prints them. The bar: an extract
round-trips (import, compare, export) with its numbers unchanged, byte for byte."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation

from jiliang.accounts.models import Membership
from jiliang.cmc import services
from jiliang.cmc.models import Claim, KcdbCmc, KcdbComparison, KcdbFile
from jiliang.cmc.policies import CLAIMS
from jiliang.comparisons.models import Comparison, Participant
from jiliang.core import cmc as core
from jiliang.core.identifiers import make_credit_code
from jiliang.policies import NATIONAL, Actor, actor_for
from jiliang.registry import models as reg
from jiliang.registry.services import Refused

from ..conftest import rolled_back

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
CMC_FILE = FIXTURES / "kcdb-cmc-physics.json"
KC_FILE = FIXTURES / "kcdb-kc-ccpr-k3-2014.txt"
NATION = Actor(NATIONAL)


def test_core_uncertainty_functions():
    rss = core.UncertaintyFunction(core.RSS, a=3.0, b=4e-3)
    assert rss.at(1000.0) == pytest.approx(5.0)
    assert core.UncertaintyFunction(core.LINEAR, a=1.0, b=0.01).at(-100.0) == pytest.approx(2.0)
    ends = core.from_limits(1.0, 3.0, 10.0, 1.0, relative=True, percent=True)  # 10 % at 1, 1 % at 3
    assert ends.at(1.0) == pytest.approx(0.1) and ends.at(3.0) == pytest.approx(0.03) and ends.at(2.0) == pytest.approx(0.065)
    assert core.overlap((0, 10), (5, 20)) == (5, 10) and core.overlap((0, 1), (2, 3)) is None
    assert core.common_points((1.0, 100.0)) == pytest.approx([1.0, 10.0, 100.0])
    assert core.common_points((-0.5, 0.5)) == [-0.5, 0.0, 0.5]


class World:
    def __init__(self):
        province = reg.Region.objects.filter(level="province").order_by("code").first()

        def org(name, kind, n):
            return reg.Organisation.objects.create(
                name=name, kind=kind, region=province, credit_code=make_credit_code(f"12{province.code}{n:09d}"[:17])
            )

        self.institute = org("省计量院", "legal_institute", 7001)
        self.other = org("另一计量院", "legal_institute", 7002)
        bureau = org("省市场监管局", "administration", 7003)
        field = reg.MetrologyField.objects.order_by("id").first()
        quantity, _ = reg.Quantity.objects.get_or_create(name="频率", defaults={"field": field, "unit": "Hz"})
        standard = reg.MeasurementStandard.objects.create(
            name="频率标准装置",
            tier="public",
            level="province",
            holder=self.institute,
            field=quantity.field,
            certificate_number="[2024]测量标证字第07001号",
            issuing_department=bureau,
            valid_from=dt.date(2024, 1, 1),
        )
        self.capability = reg.Capability.objects.create(
            standard=standard, quantity=quantity, range_min=1, range_max=100, unit="MHz", uncertainty=5e-12, k=2, relative=True
        )
        User = get_user_model()
        self.staff = User.objects.create(username="cmc-staff")
        Membership.objects.create(user=self.staff, role="institution_staff", organisation=self.institute)
        self.stranger = User.objects.create(username="cmc-stranger")
        Membership.objects.create(user=self.stranger, role="institution_staff", organisation=self.other)
        self.admin = User.objects.create(username="cmc-admin")
        Membership.objects.create(user=self.admin, role="region_admin", region=province)
        comparison = Comparison.objects.create(
            code="CMC-TEST-2025-01",
            title="频率比对",
            kind="local",
            pilot=self.institute,
            administrator_region=province,
            submission_deadline=timezone.now(),
            status=Comparison.Status.PUBLISHED,
        )
        self.participant = Participant.objects.create(comparison=comparison, institution=self.institute, label="L1")
        self.foreign = Participant.objects.create(comparison=comparison, institution=self.other, label="L2")
        self.file = services.import_kcdb_cmcs(NATION, CMC_FILE)
        self.kc = services.import_kcdb_comparison(NATION, KC_FILE)
        self.claim = services.declare(
            self.staff,
            self.capability,
            quantity="Frequency",
            instrument="Frequency standard",
            method="GPS common view",
            range_min=1,
            range_max=100,
            unit="MHz",
            a=0.0,
            b=5e-12,
        )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with rolled_back(django_db_blocker):
        yield World()


def test_kcdb_extract_round_trips_byte_exact(world, tmp_path):
    assert KcdbCmc.objects.filter(file=world.file).count() == 5
    msl = KcdbCmc.objects.get(key="APMP-PR-NZ-00000624-1")
    assert (msl.nmi_code, msl.u_low, msl.u_high, msl.u_unit, msl.relative, msl.k, msl.confidence) == (
        "MSL",
        3.0,
        3.0,
        "%",
        True,
        2.3,
        95,
    )
    assert msl.range_min is None and msl.instrument == "Illuminance meter"
    nim = KcdbCmc.objects.get(key="NIM:NIM/TF-15")
    assert (nim.range_min, nim.range_max, nim.unit, nim.u_low, nim.u_unit) == (10.0, 10.0, "MHz", 1.1e-13, "Hz/Hz")
    # compare in between: the numbers are not touched
    services.comparison_with_kcdb(world.claim)
    exported = services.export_kcdb_cmcs(KcdbFile.objects.get(pk=world.file.pk))
    assert exported == CMC_FILE.read_bytes()
    source = json.loads(CMC_FILE.read_bytes())
    assert [r["cmcUncertainty"] for r in json.loads(exported)["data"]] == [r["cmcUncertainty"] for r in source["data"]]
    # and again: export → import → export is the same file
    again = tmp_path / CMC_FILE.name
    again.write_bytes(exported)
    assert services.export_kcdb_cmcs(services.import_kcdb_cmcs(NATION, again)) == exported
    assert services.export_kcdb_comparison(KcdbComparison.objects.get(code="CCPR-K3.2014")) == KC_FILE.read_bytes()


def test_key_comparison_degrees(world):
    degrees = {d.lab: d for d in world.kc.degrees.all()}
    assert len(degrees) == 11 and (degrees["NIM"].d, degrees["NIM"].u) == ("0.0002", "0.0032")
    assert degrees["PTB"].u == "0.0030"  # the printed digits, trailing zero kept
    assert degrees["VNIIOFI"].en == pytest.approx(0.0073 / 0.0048)
    page = Client().get("/cmc/kcdb/comparisons/CCPR-K3.2014/")
    assert page.status_code == 200 and "0.0132" in page.content.decode()


def test_claim_against_kcdb(world):
    entries = {e["row"].key: e for e in services.comparison_with_kcdb(world.claim)}
    assert set(entries) == {"NIM:NIM/TF-14", "NIM:NIM/TF-15", "NIM:NIM/TF-16"}  # same quantity only
    ten = entries["NIM:NIM/TF-15"]
    assert ten["span"] == (10.0, 10.0)
    (point,) = ten["points"]
    # U(claim) = 5e-12 · 10 MHz; U(NIM) = 1.1E-13 · 10 MHz: the ratio 5e-12 / 1.1e-13
    assert point.u_claim == pytest.approx(5e-11) and point.u_other == pytest.approx(1.1e-12)
    assert point.ratio == pytest.approx(5e-12 / 1.1e-13)
    assert entries["NIM:NIM/TF-16"]["points"][0].x == 100.0
    narrow = Claim(quantity="Frequency", range_min=200, range_max=300, unit="MHz", form="rss", a=0, b=1e-11)
    assert [e["reason"] for e in services.comparison_with_kcdb(narrow)] != [""] * 3
    time = Claim(quantity="Time scale difference", range_min=-1, range_max=1, unit="s", form="linear", a=5e-8, b=0)
    (entry,) = services.comparison_with_kcdb(time)
    assert entry["span"] == (-0.5, 0.5)
    assert [p.ratio for p in entry["points"]] == pytest.approx([50 / 16] * 3)  # 50 ns against NIM's 1.6E1 ns
    page = Client()
    page.force_login(world.staff)
    html = page.get(f"/cmc/claims/{world.claim.pk}/").content.decode()
    assert "NIM/TF-15" in html and "45.5" in html
    assert 'id="claim-support"' in html and "CMC-TEST-2025-01" in html  # the holder may link its participation
    stranger = Client()
    stranger.force_login(world.stranger)
    assert stranger.post(f"/cmc/claims/{world.claim.pk}/supporting/", {"participant": world.participant.pk}).status_code == 404
    answer = page.get(f"/api/cmc/claims/{world.claim.pk}/kcdb/").json()
    assert {round(p["ratio"], 2) for row in answer for p in row["points"]} == {45.45}


def test_claim_review_workflow(world):
    claim = world.claim
    anonymous = actor_for(None)
    assert not CLAIMS.may_view(anonymous, claim) and not CLAIMS.may_view(actor_for(world.stranger), claim)
    with pytest.raises(Refused) as refused:
        services.submit(world.staff, claim)  # no support linked
    assert refused.value.reasons[0][0] == "supporting"
    with pytest.raises(Refused):
        services.link_support(world.staff, claim, world.foreign)  # another institution's participation
    holder = Client()
    holder.force_login(world.staff)
    response = holder.post(f"/api/cmc/claims/{claim.pk}/supporting/", {"participant": world.participant.pk})
    assert response.status_code == 200 and response.json()["supporting"] == ["CMC-TEST-2025-01"]
    stranger = Client()
    stranger.force_login(world.stranger)
    declared = {
        "capability": world.capability.pk,
        "quantity": "Frequency",
        "instrument": "x",
        "range_min": 1,
        "range_max": 2,
        "unit": "MHz",
        "b": 1e-12,
    }
    assert stranger.post("/api/cmc/claims/new/", declared).status_code == 403
    assert holder.post("/api/cmc/claims/new/", {**declared, "b": -1}).json()["a"] == ["a、b 须非负且不全为零"]
    with pytest.raises(Refused) as refused:
        services.submit(world.stranger, claim)
    assert refused.value.forbidden
    claim = services.submit(world.staff, claim)
    with pytest.raises(Refused) as refused:
        services.approve(world.staff, claim)  # the holder does not review its own claim
    assert refused.value.forbidden
    with pytest.raises(Refused):
        services.declare(world.staff, world.capability, quantity="Frequency", instrument="x", b=1e-12)
    client = Client()
    client.force_login(world.admin)
    assert client.post(f"/api/cmc/claims/{claim.pk}/return/", {"note": ""}).status_code == 400
    response = client.post(f"/api/cmc/claims/{claim.pk}/approve/", {"note": "支撑比对结果满意"})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert CLAIMS.may_view(anonymous, Claim.objects.get(pk=claim.pk))


def test_import_refusals_name_file_record_field(world, tmp_path):
    document = json.loads(CMC_FILE.read_bytes())
    document["data"][1]["cmc"]["lowerLimit"] = "minus half"
    document["data"][2]["uncertaintyMode"] = "Sometimes"
    del document["data"][3]["quantityValue"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document), encoding="utf-8")
    before = KcdbCmc.objects.count()
    with translation.override("zh-hans"), pytest.raises(Refused) as refused:
        services.import_kcdb_cmcs(NATION, bad)
    reasons = dict(refused.value.reasons)
    assert reasons["bad.json 第 2 条记录，字段 cmc.lowerLimit"] == "'minus half' 不是数值"
    assert "bad.json 第 3 条记录，字段 uncertaintyMode" in reasons and "bad.json 第 4 条记录，字段 quantityValue" in reasons
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.import_kcdb_cmcs(NATION, bad)
    assert "bad.json record 2, field cmc.lowerLimit" in dict(refused.value.reasons)
    kc = tmp_path / "kc.txt"
    kc.write_text(KC_FILE.read_text(encoding="utf-8").replace("NPL,0.0034,0.0032", "NPL,0.0034,-1"), encoding="utf-8")
    with translation.override("en"), pytest.raises(Refused) as refused:
        services.import_kcdb_comparison(NATION, kc)
    assert dict(refused.value.reasons) == {"kc.txt row 17, field U": "'-1' must be a non-negative number"}
    with pytest.raises(Refused) as refused:
        services.import_kcdb_cmcs(world.staff, CMC_FILE)
    assert refused.value.forbidden
    assert KcdbCmc.objects.count() == before and not math.isnan(before)


def test_command_round_trip(world, tmp_path):
    from django.core.management import call_command

    call_command("cmc", "export", CMC_FILE.name, "--output", str(tmp_path / "out.json"))
    assert (tmp_path / "out.json").read_bytes() == CMC_FILE.read_bytes()
    call_command("cmc", "import-kcdb", str(KC_FILE))
    call_command("cmc", "export", "CCPR-K3.2014", "--output", str(tmp_path / "kc.txt"))
    assert (tmp_path / "kc.txt").read_bytes() == KC_FILE.read_bytes()


def test_demo_step(world):
    from jiliang.cmc.demo import plant_cmc
    from jiliang.console.demo_roles import DemoCast

    Claim.objects.filter(pk=world.claim.pk).delete()  # the demo declares its own on the capability
    region = world.institute.region
    plant_cmc(DemoCast(region, region, region, world.institute, world.institute, {"institute": world.staff}))
    claim = Claim.objects.get(capability=world.capability)
    assert claim.quantity == "Frequency" and claim.status == Claim.Status.SUBMITTED and claim.b == 5e-12
    assert KcdbComparison.objects.filter(code="CCPR-K3.2014").exists() and KcdbFile.objects.count() == 1
    assert any(e["points"] for e in services.comparison_with_kcdb(claim))
