"""Issue 17 §7–8: standard ranks (最高/次级) and who assesses them, the 复查 reminder, the
certificate term, and the specification codes a standard may be based on. Hand-built rows."""

import datetime as dt
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from jiliang.console import dashboards
from jiliang.core import identifiers
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models, services

pytestmark = pytest.mark.django_db
_serial = itertools.count(1)
RULE = "计量法实施细则 第八条"


class World:
    def __init__(self):
        r = {x.code: x for x in models.Region.objects.filter(code__in=["110000", "330000", "330100", "330102"])}
        K = models.Organisation.Kind
        self.national = self.org("国家市场监督管理总局", K.ADMINISTRATION, r["110000"])
        self.admin = {c: self.org(f"{r[c].name}市场监督管理局", K.ADMINISTRATION, r[c]) for c in ("330000", "330100", "330102")}
        self.institute = {c: self.org(f"{r[c].name}计量所", K.LEGAL_INSTITUTE, r[c]) for c in ("330000", "330100", "330102")}
        self.lab = self.org("杭州校准有限公司", K.LABORATORY, r["330100"])
        self.field = models.MetrologyField.objects.get(code="mechanics")

    def org(self, name, kind, region):
        return models.Organisation.objects.create(
            name=name, kind=kind, region=region, credit_code=make_credit_code(f"12{region.code}{next(_serial):09d}")
        )

    def standard(self, holder, issuer, level, rank="highest", tier="public"):
        return models.MeasurementStandard(
            name="砝码标准装置",
            tier=tier,
            level=level,
            rank=rank,
            holder=holder,
            field=self.field,
            issuing_department=issuer,
            certificate_number=f"[2025]浙量标证字第{next(_serial):05d}号",
            valid_from=dt.date(2025, 3, 1),
            valid_until=dt.date(2030, 2, 28),
        )


@pytest.fixture
def w(reference_data):
    return World()


def _refusal(std) -> str:
    with pytest.raises(ValidationError) as caught:
        std.full_clean()
    return " ".join(caught.value.message_dict.get("issuing_department", []) + caught.value.message_dict.get("rank", []))


def test_a_county_bureau_does_not_certify_its_own_countys_highest_standard(w):
    std = w.standard(w.institute["330102"], w.admin["330102"], "county")
    assert RULE in _refusal(std) and "由上一级（杭州市）计量行政部门考核" in _refusal(std)
    with translation.override("en"):  # the same refusal in English, the rule still first
        assert _refusal(std).startswith(
            f"{models.RULE_PUBLIC_HIGHEST}: the highest public standard of 上城区 is assessed by the government one level up"
        )
    assert services.standard_refusals(std)[0][0] == "issuing_department"
    w.standard(w.institute["330102"], w.admin["330100"], "county").full_clean()  # the city assesses it


def test_a_subordinate_standard_is_assessed_by_its_own_regions_administration(w):
    w.standard(w.institute["330102"], w.admin["330102"], "county", rank="subordinate").full_clean()
    assert RULE in _refusal(w.standard(w.institute["330102"], w.admin["330100"], "county", rank="subordinate"))


def test_the_provinces_highest_standard_is_assessed_by_samr(w):
    assert "市场监管总局" in _refusal(w.standard(w.institute["330000"], w.admin["330000"], "province"))
    w.standard(w.institute["330000"], w.national, "province").full_clean()
    w.standard(w.institute["330100"], w.admin["330000"], "city").full_clean()
    assert RULE in _refusal(w.standard(w.institute["330100"], w.admin["330100"], "city"))


def test_the_issuer_is_an_administration_and_only_public_standards_are_subordinate(w):
    assert "第九条、第十条" in _refusal(w.standard(w.institute["330102"], w.institute["330100"], "county"))
    assert "次级" in _refusal(w.standard(w.lab, w.admin["330000"], "", rank="subordinate", tier="enterprise"))
    w.standard(w.lab, w.admin["330100"], "", tier="enterprise").full_clean()
    assert "第九条、第十条" in _refusal(w.standard(w.lab, w.national, "", tier="enterprise"))


def test_the_api_refuses_with_the_rule_named(w, client):
    from django.contrib.auth import get_user_model

    from jiliang.accounts.models import Membership

    user = get_user_model().objects.create_user("zj", password=None)
    Membership.objects.create(user=user, role="region_admin", region=w.admin["330000"].region)
    client.force_login(user)
    payload = {
        "name": "砝码标准装置",
        "tier": "public",
        "level": "county",
        "rank": "highest",
        "holder": w.institute["330102"].pk,
        "field": w.field.pk,
        "certificate_number": "[2025]浙量标证字第99999号",
        "issuing_department": w.admin["330102"].pk,
        "valid_from": "2025-03-01",
    }
    response = client.post("/api/standards/", payload, content_type="application/json")
    assert response.status_code == 400 and RULE in response.content.decode()
    payload["issuing_department"] = w.admin["330100"].pk
    response = client.post("/api/standards/", payload, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["rank"] == "highest"
    # Five years, the day before the anniversary (计量标准考核办法 2020; a setting).
    assert response.json()["valid_until"] == "2030-02-28"


def test_reexamination_reminder_starts_six_months_ahead(w, settings):
    assert models.reexamination_due_from(dt.date(2027, 8, 31)) == dt.date(2027, 2, 28)
    today = dt.date(2026, 12, 7)
    assert models.reexamination_horizon(today) == dt.date(2027, 6, 7)
    due = w.standard(w.institute["330102"], w.admin["330100"], "county")
    due.valid_from, due.valid_until = dt.date(2022, 6, 1), dt.date(2027, 5, 31)  # 5½ months away
    due.save()
    later = w.standard(w.institute["330102"], w.admin["330100"], "county")
    later.valid_from, later.valid_until = dt.date(2022, 8, 1), dt.date(2027, 7, 31)  # 7½ months away
    later.save()
    count, rows = dashboards.expiring_standards(today, prefix="33")
    assert [s.pk for s in rows] == [due.pk] and count == 1
    settings.JILIANG_STANDARD_REEXAMINATION_MONTHS = 9
    assert dashboards.expiring_standards(today, prefix="33")[0] == 2


@pytest.mark.parametrize(
    ("code", "kind", "scope"),
    [
        ("JJF(浙) 1166-2019", "calibration_specification", "local"),
        ("JJG(京) 39-2016", "verification_regulation", "local"),
        ("JJG(铁道) 123-2010", "verification_regulation", "departmental"),
        ("GB/T 27025-2019", "standard", "standard"),
        ("GB 7718-2011", "standard", "standard"),
    ],
)
def test_local_departmental_and_gb_codes_are_accepted(reference_data, code, kind, scope):
    models.Specification(code=code, title="规范", kind=kind).full_clean()
    assert identifiers.specification_scope(code) == scope


def test_a_gb_code_is_a_standard_and_only_a_gb_code_is(reference_data):
    with pytest.raises(ValidationError, match="GB"):
        models.Specification(code="GB/T 27025-2019", title="x", kind="calibration_specification").full_clean()
    with pytest.raises(ValidationError, match="GB"):
        models.Specification(code="JJF 1033-2023", title="x", kind="standard").full_clean()


def test_an_import_refuses_a_county_certifying_its_own_highest_standard(w, tmp_path):
    from jiliang.registry import exchange

    path = tmp_path / "standards.csv"
    path.write_text(
        "certificate_number,name,tier,level,rank,holder,field,issuing_department,valid_from\n"
        f"S-9,砝码,public,county,highest,{w.institute['330102'].credit_code},mechanics,{w.admin['330102'].credit_code},2025-03-01\n",
        encoding="utf-8",
    )
    with pytest.raises(exchange.ImportRejected) as caught:
        exchange.import_paths([path])
    assert [e.field for e in caught.value.errors] == ["issuing_department"]
    assert RULE in caught.value.errors[0].reason
    assert not models.MeasurementStandard.objects.filter(certificate_number="S-9").exists()
