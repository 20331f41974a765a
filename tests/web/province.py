"""A small demo province with a user for every role and one record of every kind a page
takes in its path: the crawler test builds it in the test database, the browser tests'
``site_setup.py`` in the live server's.

On top of ``jiliang.registry.demo.generate``: a county with many working instruments and
its administrator; an auditor of the province; staff of a legal metrology institute that
holds standards (all three sub-roles); an enterprise user of a company in the county; a
member of the public; a superuser. Then a published comparison run end to end (the
institution is its pilot, so the outlier's follow-up goes to another institute), a
published net-content inspection of a producer in the county, a signed certificate, an
open telemetry alert and a complaint with a photo, both in the county.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
from dataclasses import dataclass, field

try:
    from tests.catalog import PRICE_SCALE
except ModuleNotFoundError:  # imported by site_setup.py as a script, with only tests/web on the path
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.catalog import PRICE_SCALE

ROLES = ("anonymous", "public", "county_admin", "auditor", "institution_staff", "enterprise_user", "superuser")
PASSWORD = "jiliang-web-tests"


@dataclass
class Province:
    users: dict = field(default_factory=dict)  # role -> User (no entry for anonymous)
    county: object = None
    province: object = None
    institution: object = None
    enterprise: object = None
    instrument: object = None  # a working instrument of the enterprise, in the county
    standard: object = None  # a published standard of the institution
    event: object = None
    objects: dict = field(default_factory=dict)  # what the URL patterns take: comparison, inspection, …

    def as_json(self) -> dict:
        return {
            "county": self.county.code,
            "province": self.province.code,
            "institution": self.institution.pk,
            "enterprise": self.enterprise.pk,
            "instrument": {"pk": self.instrument.pk, "code": self.instrument.code},
            "standard": {"pk": self.standard.pk, "name": self.standard.name},
            "usernames": {role: user.username for role, user in self.users.items()},
        }


def build(instruments: int = 2000, seed: int = 2035) -> Province:
    """Generate the demo province (as of today) and prepare it."""
    from django.utils import timezone

    from jiliang.registry import demo

    demo.generate(instruments=instruments, seed=seed, as_of=timezone.localdate())
    return prepare()


def prepare() -> Province:
    """Users and sample records on a generated demo province (of any size)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count
    from django.utils import timezone

    from jiliang.accounts.models import Membership
    from jiliang.registry import models as reg

    today = timezone.localdate()
    p = Province()
    K = reg.Organisation.Kind
    # Working instruments under mandatory verification (a catalog item, a legal purpose) owned by enterprises.
    mandatory = reg.Instrument.objects.filter(
        catalog_item__isnull=False,
        standard__isnull=True,
        status="in_use",
        owner__kind=K.ENTERPRISE,
        owner__region__level="county",
    ).exclude(legal_purpose="none")
    # The county with the most such owners: its administrator has work; the owner with the most of them.
    county_id = (
        mandatory.values("owner__region")
        .annotate(n=Count("owner", distinct=True))
        .order_by("-n", "owner__region")
        .values_list("owner__region", flat=True)
        .first()
    )
    p.county = reg.Region.objects.get(pk=county_id)
    p.province = reg.Region.objects.get(code=p.county.code[:2] + "0000")
    owner_id = (
        mandatory.filter(owner__region=p.county)
        .values("owner")
        .annotate(n=Count("id"))
        .order_by("-n", "owner")
        .values_list("owner", flat=True)
        .first()
    )
    p.enterprise = reg.Organisation.objects.get(pk=owner_id)
    p.instrument = mandatory.filter(owner=p.enterprise).order_by("pk").first()
    p.event = p.instrument.events.order_by("-performed_on", "-id").first()

    User = get_user_model()

    def user(name, **membership):
        u = User.objects.create_user(name, password=PASSWORD)
        if membership:
            Membership.objects.create(user=u, **membership)
        return u

    comparison_holders = _comparison_holders(reg)
    p.institution = comparison_holders[0].holder
    p.standard = comparison_holders[0]
    p.users = {
        "public": user("web-public"),
        "county_admin": user("web-county-admin", role="region_admin", region=p.county),
        "auditor": user("web-auditor", role="auditor", region=p.province),
        "institution_staff": user(
            "web-staff", role="institution_staff", organisation=p.institution, is_verifier=True, is_checker=True, is_approver=True
        ),
        "enterprise_user": user("web-enterprise", role="enterprise_user", organisation=p.enterprise),
        "superuser": User.objects.create_superuser("web-superuser", "web@example.org", PASSWORD),
    }
    p.objects["primary_standard"] = reg.PrimaryStandard.objects.order_by("pk").first()
    p.objects["reference_material"] = reg.ReferenceMaterial.objects.order_by(
        "pk"
    ).first() or reg.ReferenceMaterial.objects.create(
        number="GBW(E)130999",
        name="乙醇溶液标准物质",
        level="secondary",
        producer=p.institution,
        expires_on=today + dt.timedelta(days=700),
    )
    p.objects["comparison"] = _published_comparison(p, comparison_holders)
    p.objects["inspection"] = _published_inspection(p, today)
    p.objects["certificate"] = _certificate(p)
    p.objects["alert"] = _alert(p)
    p.objects["complaint"], p.objects["photo"] = _complaint(p)
    p.objects["registration"], p.objects["record"] = _verification(p)
    p.objects.update(_assessment(p, today, user))
    p.objects["case"], p.objects["case_file"] = _case(p, today)
    p.objects.update(_inspections(p, today, user))
    p.objects["energy_unit"], p.objects["energy_review"] = _energy(p, today)
    p.objects["gap_institution"], p.objects["gap_item"] = _institution_gap(p, today)
    p.objects["witness_head"] = _witness(p)
    return p


def _institution_gap(p: Province, today):
    """A county legal metrology institute authorised for one catalogue item with one
    qualified verifier only (jiliang.institutions: the gap of fewer than two)."""
    from jiliang.authorisation.models import Authorisation, AuthorisedArea, AuthorisedItem
    from jiliang.core.identifiers import make_credit_code
    from jiliang.registry import models as reg

    issuer = (
        reg.Organisation.objects.filter(
            kind="administration", region__code__in=(p.county.code, p.county.code[:4] + "00", p.county.code[:2] + "0000")
        )
        .order_by("-region__code")
        .first()
    )
    institute = reg.Organisation.objects.create(
        name=f"{p.county.name}计量检定测试所",
        credit_code=make_credit_code(f"12{p.county.code}MB0GAP001"),
        kind="legal_institute",
        region=p.county,
    )
    item = reg.CatalogItem.objects.order_by("code").first()
    since = today - dt.timedelta(days=800)
    auth = Authorisation.objects.create(
        number=f"（测）法计（{since.year}）GAP1号",
        institution=institute,
        issuing_authority=issuer,
        form=Authorisation.Form.ESTABLISHED,
        valid_from=since,
        valid_until=today + dt.timedelta(days=900),
    )
    AuthorisedItem.objects.create(authorisation=auth, catalog_item=item, added_on=since)
    AuthorisedArea.objects.create(authorisation=auth, region=p.county, added_on=since)
    person = reg.Person.objects.create(name="孙唯一", organisation=institute)
    for kind, number, catalog_item in (("metrologist_2", "ZCGAP001", None), ("item_assessment", "XMGAP001", item)):
        reg.Qualification.objects.create(
            person=person,
            kind=kind,
            certificate_number=number,
            catalog_item=catalog_item,
            organisation=institute if catalog_item is None else None,
            valid_from=since,
            valid_until=today + dt.timedelta(days=900),
        )
    return institute, item


def _witness(p: Province):
    """The province's ledger witnessed twice by the centre's log, and one forged checkpoint
    refused (jiliang.witness: the instance plays both sides, as the demo does)."""
    from types import SimpleNamespace

    from jiliang.witness import services
    from jiliang.witness.demo import plant_witness

    plant_witness(SimpleNamespace(province=p.province))
    return services.latest_head()


def _case(p: Province, today):
    """A published penalty against the enterprise, with a file among its evidence: the county
    administrator proposes and decides, the superuser approves the filing (another person)."""
    from jiliang.cases import services

    admin, head = p.users["county_admin"], p.users["superuser"]
    day = lambda n: today - dt.timedelta(days=n)  # noqa: E731
    case = services.open_case(
        admin, region=p.county, party=p.enterprise, violation="unverified", summary="未按规定申请检定", discovered_on=day(40)
    )
    services.act(admin, case, "propose", on=day(39))
    services.act(head, case, "approve_filing", on=day(38))
    evidence = services.add_evidence(admin, case, title="现场照片", filename="photo.jpg", content=b"\xff\xd8photo", on=day(37))
    services.act(admin, case, "notify", on=day(30), proposed_penalty="罚款 800 元")
    services.act(admin, case, "decide", on=day(20), decision_number="县市监计罚〔2026〕1号", penalty="罚款 800 元", fine="800")
    services.act(admin, case, "execute", on=day(10))
    services.act(admin, case, "publish", on=day(9))
    return case, evidence


def _inspections(p: Province, today, user) -> dict:
    """The county's published draw and campaign (jiliang.inspections.demo): the county
    administrator and a second officer are the 执法检查人员, so every drawn target is theirs;
    one inspection is published, the others wait on the administrator's list of the day."""
    from jiliang.core.identifiers import make_credit_code
    from jiliang.inspections import demo
    from jiliang.inspections.models import Target
    from jiliang.registry import models as reg

    # A small county has few enterprises: six fuel stations on the target list besides.
    for n in range(6):
        station = reg.Organisation.objects.create(
            name=f"{p.county.name}第{n + 1}加油站",
            credit_code=make_credit_code(f"91{p.county.code}MA2WJ{n:04d}"),
            kind="enterprise",
            region=p.county,
        )
        Target.objects.create(organisation=station, kind="fuel_station")
    officer = user("web-officer-2", role="region_admin", region=p.county)
    planted = demo.plant(
        p.county, p.users["county_admin"], [p.users["county_admin"], officer], today, sample={"A": 2, "B": 3, "C": 3, "D": 3}
    )
    return {"draw": planted.draw, "field_inspection": planted.published, "assigned_inspections": planted.assigned}


def _energy(p: Province, today):
    """The enterprise as a key energy user with one boundary point and meter, and an open
    energy metering review (jiliang.energy)."""
    from jiliang.energy import services

    admin = p.users["county_admin"]
    unit = services.register_unit(admin, p.enterprise, sector="C29", listed_on=today)
    point = services.add_point(admin, unit, name="总进线", level="entry", energy_type="electricity")
    services.add_meter(admin, point, p.instrument, accuracy_class="1.0")
    return unit, services.open_review(admin, unit, started_on=today)


def _assessment(p: Province, today, user) -> dict:
    """Assessment files in every state for the institution (jiliang.assessment.demo), the
    administration that holds them and an assessor, each with a user, and a new file ready
    to walk (tests/web/test_assessment_browser.py)."""
    from jiliang.assessment import demo as assessment_demo
    from jiliang.registry import models as reg

    walk_authority = assessment_demo.rules.assessing_authority(p.institution, "public", p.institution.region.level, "subordinate")
    other = reg.Organisation.objects.filter(kind="legal_institute").exclude(pk=p.institution.pk).order_by("pk").first()
    p.users["assessment_authority"] = user("web-bureau", role="region_admin", region=walk_authority.region)
    p.users["assessor"] = user("web-assessor", role="institution_staff", organisation=other)
    planted = assessment_demo.plant_files(p.institution, today, assessor_user=p.users["assessor"], seal=False)
    walk = assessment_demo.walk_setup(p.institution, today, p.users["assessor"])
    return {f"assessment_{name}": row for name, row in {**planted, **walk}.items()}


def _comparison_holders(reg):
    """Active standards of legal institutes with people, one per institute, in the field most of them share."""
    from django.db.models import Count

    standards = (
        reg.MeasurementStandard.objects.filter(
            status="active", published=True, holder__kind="legal_institute", holder__people__isnull=False
        )
        .select_related("holder__region", "field")
        .distinct()
        .order_by("holder__region__code", "id")
    )
    by_field: dict = {}
    for std in standards:
        by_field.setdefault(std.field_id, {}).setdefault(std.holder_id, std)
    chosen = list(max(by_field.values(), key=len).values())[:4]
    assert len(chosen) >= 3, "the demo province should have several institutes in one field"
    # The pilot (the crawler's institution) signs certificates: three people at least.
    people = dict(reg.Person.objects.values_list("organisation").annotate(n=Count("id")).order_by())
    chosen.sort(key=lambda std: -min(people.get(std.holder_id, 0), 3))
    return chosen


def _published_comparison(p: Province, chosen):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from jiliang.accounts.models import Membership
    from jiliang.comparisons import services
    from jiliang.registry import models as reg

    admin = p.users["superuser"]
    staff = {chosen[0].holder_id: p.users["institution_staff"]}
    for i, std in enumerate(chosen[1:], start=1):
        u = get_user_model().objects.create_user(f"web-comparison-staff-{i}", password=None)
        Membership.objects.create(user=u, role="institution_staff", organisation=std.holder)
        staff[std.holder_id] = u
    pilot = staff[chosen[0].holder_id]
    quantity = reg.Quantity.objects.filter(field_id=chosen[0].field_id).order_by("id").first()
    c = services.create_comparison(
        admin,
        code="WEB-2026-01",
        title="网页测试比对",
        kind="local",
        pilot=chosen[0].holder,
        administrator_region=p.province,
        submission_deadline=timezone.now() + dt.timedelta(days=10),
    )
    m = services.add_measurand(pilot, c, name="标称点", quantity=quantity, nominal_value=100.0)
    for i, std in enumerate(chosen):
        services.add_participant(pilot, c, institution=std.holder, standard=std, label=f"L{i + 1}")
    services.open_submissions(pilot, c)
    values = itertools.cycle([100.0011, 100.0009, 100.0010])
    for i, std in enumerate(chosen):
        value = 100.0100 if i == len(chosen) - 1 else next(values)  # the last is far off: a follow-up
        services.submit(staff[std.holder_id], c, measurand=m, value=value, u=0.0002, dof=30)
    services.close_submissions(pilot, c)
    services.compute(pilot, c, estimator="paule-mandel")
    services.write_report(pilot, c, stage="draft_a", introduction="网页测试报告")
    services.write_report(pilot, c, stage="draft_b", introduction="网页测试报告")
    services.approve(admin, c)
    return services.publish(admin, c)


def _published_inspection(p: Province, today):
    import numpy as np

    from jiliang.registry import models as reg
    from jiliang.supervision.prepack import services
    from jiliang.traceability import services as trace

    inspectors = list(reg.Person.objects.filter(organisation=p.institution).order_by("id")[:2])
    scale = next(
        s
        for s in reg.Instrument.objects.filter(catalog_item__code=PRICE_SCALE, standard__isnull=True, status="in_use").order_by(
            "id"
        )[:300]
        if trace.item_chain(s, today)["traceable"]
    )
    staff, admin = p.users["institution_staff"], p.users["county_admin"]
    inspection = services.create_inspection(
        staff,
        product_name="大米",
        brand="五常",
        specification="袋装",
        nominal="500",
        unit="g",
        batch_size=1000,
        producer={"credit_code": p.enterprise.credit_code},
        sampled_at="producer",
        sampling_date=today,
        inspector_ids=[x.pk for x in inspectors],
        scale_ids=[scale.pk],
    )
    z = np.random.default_rng(1).standard_normal(80)
    services.add_measurements(staff, inspection, values=list(503.0 + 2.0 * (z - z.mean()) / z.std(ddof=1)))
    inspection = services.judge_inspection(staff, inspection)
    inspection = services.approve_inspection(admin, inspection)
    return services.publish_inspection(admin, inspection)


def _certificate(p: Province):
    from jiliang.certificates import keys, services
    from jiliang.registry import models as reg

    keys.init_authority()
    event = (
        reg.CalibrationEvent.objects.filter(performer=p.institution, kind="verification", passed=True)
        .order_by("-performed_on", "id")
        .first()
    )
    people = list(reg.Person.objects.filter(organisation=p.institution).order_by("id")[:3])
    signers = [(people[0], "verifier"), (people[1 % len(people)], "checker"), (people[2 % len(people)], "approver")]
    return services.issue_certificate(event, signers)


def _alert(p: Province):
    from jiliang.supervision.telemetry.models import Alert

    return Alert.objects.create(
        instrument=p.instrument,
        region=p.instrument.region,
        owner=p.enterprise,
        rule="any.peer_drift",
        severity=Alert.Severity.HIGH,
        evidence={"drift": 0.012, "peers": 12},
    )


def _complaint(p: Province):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from jiliang.portal import services

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="PNG")
    photo = SimpleUploadedFile("meter.png", buffer.getvalue(), content_type="image/png")
    complaint = services.file_complaint(
        instrument_code=p.instrument.code, description="加油机计量不准，少加了油。", photos=[photo]
    )
    return complaint, complaint.photos.order_by("pk").first()


def _verification(p: Province):
    """The enterprise's instrument registered and approved by the county; a verification
    record (检定证书) of the institution, written as the institution's signatories would."""
    from jiliang.registry import models as reg
    from jiliang.verification import services
    from jiliang.verification.models import VerificationRecord

    registration = services.register_instrument(p.enterprise, p.instrument, user=p.users["enterprise_user"])
    registration = services.review_registration(registration, True, user=p.users["county_admin"])
    event = (
        reg.CalibrationEvent.objects.filter(
            performer=p.institution, kind="verification", passed=True, standard_links__isnull=False
        )
        .exclude(pk=p.objects["certificate"].event_id)
        .order_by("-performed_on", "id")
        .first()
    )
    people = list(reg.Person.objects.filter(organisation=p.institution).order_by("id")[:3])
    record = VerificationRecord.objects.create(
        event=event,
        institution=p.institution,
        standard=event.standard_links.order_by("id").first().standard,
        document=VerificationRecord.Document.CERTIFICATE,
        number=f"WEB-JD-{event.pk}",
        verifier=people[0],
        checker=people[1],
        approver=people[2],
    )
    return registration, record
