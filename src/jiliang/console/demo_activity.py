"""The demo's work in progress: what every capability shows on a first visit.

After the province is generated and its users made (``demo_roles``), this plants, through
each app's own services so every rule applies: the certificate authority and the
institutions' signing keys with a few signed DCCs; smart instruments sending telemetry
through the ingest pipeline, whose rules raise the alerts; a comparison in each state of
its lifecycle; net-content (prepack) inspections; reference materials; a recall with its
notices; complaints from the public, open and handled.

Catalog items are found by what they are (their name), never by their code: the catalog's
codes belong to the reference data, not to the demo.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import os
import re
import subprocess
import sys
import time

import numpy as np
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from jiliang.accounts.models import Membership
from jiliang.registry import models as reg

from .demo_roles import DemoCast

MARKER_COMPARISON = "ZJ-DEMO-"  # the codes of the demo's comparisons

# Telemetry kind by what the instrument is (jiliang.supervision.telemetry.protocol kinds).
TELEMETRY_KINDS = (
    ("sale", r"加油机"),
    ("trip", r"出租汽车计价器"),
    ("session", r"充电桩|充电机"),
    ("reading", r"^(水表|燃气表|电能表)"),
    ("scale", r"电子计价秤"),
)
DEVICES_PER_KIND = 6
TELEMETRY_MESSAGES = 1200


def items_named(pattern: str):
    return [item for item in reg.CatalogItem.objects.all() if re.search(pattern, item.name)]


def fill_activity(cast: DemoCast, planted: str = "") -> None:
    """Plant the demo's activity. Each step is its own transaction and is skipped when its
    records are there already, so a demo stopped half-way completes on its next start.
    ``planted``: the certificate number of the generator's out-of-tolerance standard (left
    for the visitor to recall)."""
    from jiliang.assessment.models import Application
    from jiliang.cases.demo import plant_cases
    from jiliang.cases.models import Case
    from jiliang.certificates.models import CertificateAuthority
    from jiliang.checks.demo import plant_checks
    from jiliang.checks.models import CheckPlan
    from jiliang.cmc.demo import plant_cmc
    from jiliang.cmc.models import KcdbFile
    from jiliang.comparisons.models import Comparison
    from jiliang.credit.demo import plant_credit
    from jiliang.credit.models import CreditGrade
    from jiliang.energy.demo import plant_energy
    from jiliang.energy.models import KeyUnit
    from jiliang.federation.demo import plant_federation
    from jiliang.federation.models import ProvinceStatus
    from jiliang.inspections.models import Draw
    from jiliang.institutions.demo import plant_institutions
    from jiliang.institutions.models import SupervisionVisit
    from jiliang.intervals.demo import plant_intervals
    from jiliang.matching.demo import plant_matching
    from jiliang.matching.models import Need
    from jiliang.plans.demo import plant_plans
    from jiliang.plans.models import BuildingPlan
    from jiliang.portal.models import Complaint
    from jiliang.refdata.demo import plant_refdata
    from jiliang.refdata.models import Dataset
    from jiliang.supervision.prepack.models import Inspection
    from jiliang.supervision.telemetry.models import Device
    from jiliang.traceability.models import Recall
    from jiliang.witness.demo import plant_witness
    from jiliang.witness.models import LogEntry

    steps = (
        ("数字证书 certificate authority, signing keys, DCCs", CertificateAuthority, certificates),
        ("在线监测 telemetry and alerts", Device, telemetry),
        ("比对 comparisons", Comparison, comparisons),
        ("净含量抽查 prepack inspections", Inspection, prepack),
        ("标准物质 reference materials", None, reference_materials),
        ("召回 recall", Recall, lambda cast: recall(cast, planted)),
        ("期间核查 stability and in-service checks", CheckPlan, plant_checks),
        ("投诉 complaints", Complaint, complaints),
        ("计量标准考核 assessment files", Application, assessment),
        ("行政处罚案件 enforcement cases", Case, plant_cases),
        ("能源计量 key energy users, readings, review", KeyUnit, plant_energy),
        ("机构能力与监督 institutions: declaration, supervision visit, evaluation", SupervisionVisit, plant_institutions),
        ("标准参考数据 reference datasets", Dataset, plant_refdata),
        ("校准测量能力 CMC claims and KCDB extracts", KcdbFile, plant_cmc),
        ("供需对接 supply–demand matching", Need, plant_matching),
        # Graded before the draw, so the draw samples D more than A (国市监信发〔2022〕6号).
        ("信用监管 credit records and grades", CreditGrade, plant_credit),
        ("双随机抽查 random draws and a campaign", Draw, inspections),
        ("检定间隔 verification history of one family", None, plant_intervals),
        ("联邦 the province's signed change records, applied as the national centre would", ProvinceStatus, plant_federation),
        ("诚信计量见证 witnessed ledger checkpoints", LogEntry, plant_witness),
        ("建设规划 building plan of public standards", BuildingPlan, plant_plans),
    )
    for label, model, step in steps:
        if model is not None and model.objects.exists():
            continue
        started = time.monotonic()
        with transaction.atomic():
            step(cast)
        print(f"  {label} ({time.monotonic() - started:.1f} s)", flush=True)


def inspections(cast: DemoCast) -> None:
    """The county's 检查对象名录库 and officers, a published draw and its campaign in progress
    (jiliang.inspections.demo)."""
    from jiliang.inspections import demo as inspections_demo
    from jiliang.inspections import services

    officers = [cast.users[name] for name in ("inspector", "county-admin", "city-admin") if name in cast.users]
    region, admin = cast.county, cast.users["county-admin"]
    services.sync_targets(admin, region)
    if services.population(region, "instrument_user").count() < 3:  # a small demo: the city draws
        region, admin = cast.city, cast.users["city-admin"]
    inspections_demo.plant(region, admin, officers)


def assessment(cast: DemoCast) -> None:
    """Measurement-standard assessment files in every state (jiliang.assessment.demo), and a
    new file ready for the institute's visitor to walk with the province and the assessor."""
    from jiliang.assessment import demo as assessment_demo

    today = timezone.localdate()
    assessment_demo.plant_files(cast.institute, today, assessor_user=cast.users.get("assessor"))
    assessment_demo.walk_setup(cast.institute, today, cast.users.get("assessor"))


def start_in_background(planted: str = "") -> subprocess.Popen:
    """Fill the activity in a process of its own while the demo already serves: the slow
    parts (comparison plots, the traceability graph for the prepack scales) stay out of the
    time to the first page. Its progress lines follow the server's on the same terminal."""
    code = (
        "import django; django.setup(); "
        "from jiliang.console import demo_activity, demo_roles; "
        f"demo_activity.fill_activity(demo_roles.create_demo_users(), {planted!r}); "
        "print('演示数据已就绪 demo activity ready', flush=True)"
    )
    env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "jiliang.settings"))
    global background
    # Niced: the pages a visitor opens meanwhile come first.
    background = subprocess.Popen([sys.executable, "-W", "ignore", "-c", code], env=env, preexec_fn=lambda: os.nice(10))
    return background


background: subprocess.Popen | None = None  # the filling process of this demo, if one was started


def stop_background(timeout: float = 10.0) -> None:
    """End the filling process with the demo (its step in progress rolls back; the next
    start completes what is missing)."""
    if background is not None and background.poll() is None:
        background.terminate()
        try:
            background.wait(timeout)
        except subprocess.TimeoutExpired:
            background.kill()


# -- certificates ----------------------------------------------------------------------


def _signers(organisation):
    people = list(reg.Person.objects.filter(organisation=organisation).order_by("id")[:3])
    if len(people) < 3:
        return None
    return [(people[0], "verifier"), (people[1], "checker"), (people[2], "approver")]


def certificates(cast: DemoCast) -> None:
    """`jiliang certificate ca init`, a signing key for every institution that signs
    results, and DCCs for the provincial institute's latest passed verifications."""
    from jiliang.certificates import keys, services
    from jiliang.certificates.models import SigningKey

    keys.init_authority()
    # The provincial and city institutions get their keys now; a county institute's key is
    # issued with its first certificate (certificates.services.issue_certificate).
    signing = reg.Organisation.objects.filter(
        kind__in=[
            reg.Organisation.Kind.LEGAL_INSTITUTE,
            reg.Organisation.Kind.AUTHORISED_INSTITUTE,
            reg.Organisation.Kind.PROFESSIONAL_STATION,
        ],
        region__code__startswith=cast.province.code[:2],
        region__level__in=["province", "city"],
    ).exclude(pk__in=SigningKey.objects.filter(status=SigningKey.Status.ACTIVE).values("organisation"))
    for organisation in signing.order_by("pk"):
        keys.issue_signing_key(organisation)
    signers = _signers(cast.institute)
    if signers is None:
        return
    events = reg.CalibrationEvent.objects.filter(performer=cast.institute, kind="verification", passed=True).order_by(
        "-performed_on", "-id"
    )[:3]
    for event in events:
        services.issue_certificate(event, signers, actor=cast.users["institute"])


# -- telemetry -------------------------------------------------------------------------


class _Collected:
    """A publisher that keeps the signed messages, for the pipeline in this process."""

    def __init__(self):
        self.messages: list[bytes] = []

    def publish(self, topic, payload):
        self.messages.append(payload)

    def flush(self):
        pass


def telemetry(cast: DemoCast) -> None:
    """Smart instruments of the county (the demo enterprise's first) with registered
    devices; signed messages, some of them frauds, through the ingest pipeline; the inspector
    takes one alert and closes another with findings."""
    from jiliang.supervision.telemetry import services
    from jiliang.supervision.telemetry.models import Alert
    from jiliang.supervision.telemetry.pipeline import Pipeline
    from jiliang.supervision.telemetry.simulator import SimDevice, simulate

    devices = []
    for kind, pattern in TELEMETRY_KINDS:
        items = items_named(pattern)
        instruments = (
            reg.Instrument.objects.filter(
                catalog_item__in=items, region=cast.county, standard__isnull=True, status=reg.Instrument.Status.IN_USE
            )
            .annotate(own=Count("id", filter=Q(owner=cast.enterprise)))
            .order_by("-own", "id")[:DEVICES_PER_KIND]
        )
        for instrument in instruments:
            devices.append(
                services.register_device(
                    instrument, kind=kind, verified_k=1000.0, software_id="V2.1", software_checksum="a1b2c3d4"
                )
            )
    if not devices:
        return
    collected = _Collected()
    simulate(
        [SimDevice(d.code, d.key, d.kind, d.verified_k) for d in devices],
        publisher=collected,
        rate=0,
        messages=TELEMETRY_MESSAGES,
        fraud_share=0.3,
        seed=2035,
        start_time=time.time() - 3600,
    )
    now = time.time()
    Pipeline().handle([(m, now) for m in collected.messages])
    inspector = cast.users["inspector"]
    alerts = list(Alert.objects.filter(region=cast.county).order_by("id")[:2])
    if alerts:
        services.take(alerts[0].pk, inspector)
    if len(alerts) > 1:
        services.take(alerts[1].pk, inspector)
        services.close(alerts[1].pk, inspector, findings="现场检查：铅封完好，软件版本与批准一致，误报。", confirmed=False)


# -- comparisons -----------------------------------------------------------------------


def _comparison_holders(cast: DemoCast):
    """Active published standards of legal institutes with people, one per institute, in
    the field the provincial institute shares with most others; the provincial institute first."""
    standards = (
        reg.MeasurementStandard.objects.filter(
            status="active", published=True, holder__kind="legal_institute", holder__people__isnull=False
        )
        .distinct()
        .order_by("holder__region__code", "id")
    )
    by_field: dict = {}
    for std in standards:
        by_field.setdefault(std.field_id, {}).setdefault(std.holder_id, std)
    fields = [f for f in by_field.values() if cast.institute.pk in f] or list(by_field.values())
    chosen = max(fields, key=len)
    first = chosen.get(cast.institute.pk)
    others = [s for holder, s in chosen.items() if holder != cast.institute.pk][:4]
    return ([first] if first else []) + others


# The lifecycle's states (comparisons.models.Comparison.Status), the order each is reached in.
COMPARISON_STATES = ("draft", "open", "closed", "computed", "draft_a", "draft_b", "approved", "published")
COMPARISON_TITLES = {
    "draft": "浙江省{name}量值比对（筹备）",
    "open": "浙江省{name}量值比对（接收结果）",
    "closed": "浙江省{name}量值比对（结果截止）",
    "computed": "浙江省{name}量值比对（已计算）",
    "draft_a": "浙江省{name}量值比对（报告草案A）",
    "draft_b": "浙江省{name}量值比对（报告草案B）",
    "approved": "浙江省{name}量值比对（已批准）",
    "published": "浙江省{name}量值比对",
}


def comparisons(cast: DemoCast) -> None:
    from jiliang.comparisons import services

    chosen = _comparison_holders(cast)
    if len(chosen) < 3:
        return
    User = get_user_model()
    staff = {cast.institute.pk: cast.users["institute"]}
    for std in chosen:
        if std.holder_id not in staff:
            user = User.objects.create_user(f"demo-staff-{std.holder_id}", password=None)
            Membership.objects.create(user=user, role="institution_staff", organisation=std.holder)
            staff[std.holder_id] = user
    admin = cast.users["province-admin"]
    pilot_org = chosen[0].holder
    pilot = staff[pilot_org.pk]
    quantity = reg.Quantity.objects.filter(field_id=chosen[0].field_id).order_by("id").first()
    year = timezone.localdate().year
    for n, state in enumerate(COMPARISON_STATES, start=1):
        target = COMPARISON_STATES.index(state)
        c = services.create_comparison(
            admin,
            code=f"{MARKER_COMPARISON}{year}-{n:02d}",
            title=COMPARISON_TITLES[state].format(name=quantity.name),
            kind="local",
            pilot=pilot_org,
            administrator_region=cast.province,
            submission_deadline=timezone.now() + dt.timedelta(days=30),
            description="演示：由省计量院主导、全省法定计量检定机构参加的比对。",
        )
        m = services.add_measurand(pilot, c, name=f"{quantity.name} 标称点", quantity=quantity, nominal_value=100.0)
        for i, std in enumerate(chosen):
            services.add_participant(pilot, c, institution=std.holder, standard=std, label=f"L{i + 1}")
        if target < 1:
            continue
        services.open_submissions(pilot, c)
        values = itertools.cycle([100.0011, 100.0009, 100.0010, 100.0012])
        for i, std in enumerate(chosen):
            if target == 1 and i == len(chosen) - 1:
                break  # one participant has still to submit
            value = 100.0100 if i == len(chosen) - 1 else next(values)  # the last is far off: a follow-up
            services.submit(staff[std.holder_id], c, measurand=m, value=value, u=0.0002, dof=30)
        if target < 2:
            continue
        services.close_submissions(pilot, c)
        if target < 3:
            continue
        services.compute(pilot, c, estimator="paule-mandel")
        for stage in ("draft_a", "draft_b")[: max(0, target - 3)]:
            services.write_report(pilot, c, stage=stage, introduction="参加单位的结果与参考值的一致性评价。")
        if target >= 6:
            services.approve(admin, c)
        if target >= 7:
            services.publish(admin, c)


# -- prepack ---------------------------------------------------------------------------


def prepack(cast: DemoCast) -> None:
    """A passed and published net-content inspection of the demo enterprise's product, and
    a failed one awaiting approval (its notice goes to the producer)."""
    from jiliang.supervision.prepack import services
    from jiliang.traceability import services as trace

    today = timezone.localdate()
    inspectors = list(reg.Person.objects.filter(organisation=cast.institute).order_by("id")[:2])
    scales = reg.Instrument.objects.filter(
        catalog_item__in=items_named(r"电子计价秤|电子天平|非自动衡器"), standard__isnull=True, status="in_use"
    ).order_by("id")[:300]
    scale = next((s for s in scales if trace.item_chain(s, today)["traceable"]), None)
    if scale is None or len(inspectors) < 2:
        return
    staff, admin = cast.users["institute"], cast.users["province-admin"]
    for product, brand, mean, publish in (("大米", "五常", 503.0, True), ("食用植物油", "金龙", 488.0, False)):
        inspection = services.create_inspection(
            staff,
            product_name=product,
            brand=brand,
            specification="袋装" if product == "大米" else "桶装",
            nominal="500",
            unit="g",
            batch_size=1000,
            producer={"credit_code": cast.enterprise.credit_code},
            sampled_at="producer",
            sampling_date=today - dt.timedelta(days=3),
            inspector_ids=[x.pk for x in inspectors],
            scale_ids=[scale.pk],
        )
        z = np.random.default_rng(len(product)).standard_normal(80)
        services.add_measurements(staff, inspection, values=list(mean + 2.0 * (z - z.mean()) / z.std(ddof=1)))
        inspection = services.judge_inspection(staff, inspection)
        if publish:
            inspection = services.approve_inspection(admin, inspection)
            services.publish_inspection(admin, inspection)


# -- reference materials ---------------------------------------------------------------

REFERENCE_MATERIALS = (
    # (number, name, level, [(component, value, unit, U)])
    ("GBW(E)130901", "呼出气体酒精含量检测仪检定用乙醇标准溶液", "secondary", [("乙醇", 0.802, "g/L", 0.008)]),
    ("GBW(E)130902", "pH 缓冲溶液标准物质（邻苯二甲酸氢钾）", "secondary", [("pH (25 ℃)", 4.003, "", 0.010)]),
    ("GBW(E)130903", "氮中甲烷气体标准物质", "secondary", [("甲烷", 2.02, "%mol/mol", 0.04)]),
    ("GBW(E)130904", "水中化学需氧量（COD）溶液标准物质", "secondary", [("COD", 100.0, "mg/L", 2.0)]),
    ("GBW(E)130905", "稻谷水分标准物质", "secondary", [("水分", 14.2, "%", 0.3)]),
)


def reference_materials(cast: DemoCast) -> None:
    today = timezone.localdate()
    for i, (number, name, level, values) in enumerate(REFERENCE_MATERIALS):
        if reg.ReferenceMaterial.objects.filter(number=number).exists():
            continue
        material = reg.ReferenceMaterial.objects.create(
            number=number, name=name, level=level, producer=cast.institute, expires_on=today + dt.timedelta(days=200 + 150 * i)
        )
        for component, value, unit, u in values:
            reg.CertifiedValue.objects.create(material=material, component=component, value=value, unit=unit, uncertainty=u)


# -- recall ----------------------------------------------------------------------------


def recall(cast: DemoCast, planted: str = "") -> None:
    """A recall of a county standard found out of tolerance at its in-service check, so the
    enterprises it touched see the notice. The planted out-of-tolerance standard
    (``Defects``) is left for the visitor to study and recall on the recall page."""
    from jiliang.traceability import services

    today = timezone.localdate()
    candidates = (
        reg.MeasurementStandard.objects.filter(holder__region__code__startswith=cast.city.code[:4], status="active")
        .exclude(certificate_number=planted)
        .order_by("-holder__region__level", "id")
    )
    for standard in candidates[:10]:
        found_on = today - dt.timedelta(days=20)
        try:
            services.create_recall(
                standard,
                None,
                None,
                found_on=found_on,
                reason="期间核查发现示值超差（演示）",
                actor=cast.users["province-admin"],
            )
            return
        except services.RecallRefused:
            continue


# -- complaints ------------------------------------------------------------------------


def _photo():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), (235, 235, 230))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 280, 200), outline=(60, 60, 60), width=4)
    draw.text((60, 110), "23.45 L  186.21", fill=(200, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return SimpleUploadedFile("meter.jpg", buffer.getvalue(), content_type="image/jpeg")


def complaints(cast: DemoCast) -> None:
    from jiliang.portal import services

    instruments = list(
        reg.Instrument.objects.filter(owner=cast.enterprise, status="in_use", standard__isnull=True).order_by("id")[:3]
    )
    texts = (
        "加油后发现油量比显示少，怀疑加油机计量不准，请核查。",
        "菜市场摊位的电子秤称重偏多，复称少了二两。",
        "出租车计价器跳表太快，同样路程比平时贵了十几元。",
    )
    made = []
    for i, (instrument, text) in enumerate(zip(instruments, texts)):
        made.append(
            services.file_complaint(
                instrument_code=instrument.code, description=text, contact="138****0000", photos=[_photo()] if i == 0 else []
            )
        )
    if len(made) > 1:
        services.handle_complaint(
            made[1], user=cast.users["county-admin"], note="已到现场检查，该电子秤检定合格，商户已更换损坏的秤盘并作说明。"
        )
