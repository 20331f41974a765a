"""The demo province: a realistic, deterministic synthetic measurement system.

Zhejiang's real GB/T 2260 cities and counties; the provincial institute, city and county
institutes, authorised institutes, laboratories and enterprises; public standards across
the ten fields at province, city and county level, calibrated up to national primary
standards; five years of verification and calibration history; and deliberate defects
that later features must find (see ``Defects``).

The same seed and as-of date give the same province. Working instruments and their events
are generated as NumPy arrays in chunks and written with COPY / executemany, so 10^7
instruments fit in memory and time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import numpy as np
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jiliang.audit.batches import ColumnDigests
from jiliang.audit.services import audit_context, record, record_batches
from jiliang.core.accuracy import relative_mpe, standard_for
from jiliang.core.identifiers import make_credit_code

from . import bulk, models, reference_data

EPOCH = dt.date(1970, 1, 1)
CHUNK = 200_000
HISTORY_YEARS = 5

# The catalogue items of the demo province (a selection of the real catalogue, catalogue.json:
# the common ones) and their share of working instruments (rough shape of a real province:
# utility meters and scales dominate; the small sizes of water and gas meters first-only).
ITEM_WEIGHTS = {
    "48-01.1": 0.5,  # 玻璃体温计: 只做首次强制检定，失准报废
    "48-01.2": 1.0,
    "48-02.1": 3,
    "48-02.2": 2,
    "48-04.1": 2,
    "48-05.1": 14,
    "48-05.3": 1,
    "48-06.1": 0.3,
    "48-08.1": 4,
    "48-09.1": 0.5,
    "48-09.2": 0.5,
    "48-10.1a": 16,  # DN15～DN25: 限期使用，到期轮换
    "48-10.1b": 3,
    "48-10.1c": 1,  # DN50 以上: 周期检定
    "48-11.1a": 11,
    "48-11.1b": 1,
    "48-12.1a": 2,
    "48-13.1a": 20,
    "48-13.1b": 2,
    "48-14.1": 3,
    "48-14.2": 1,
    "48-16.1": 6,
    "48-17.1": 0.5,
    "48-18.1": 0.3,
    "48-21.1": 0.3,
    "48-22.1": 0.5,
    "48-24.1": 0.6,
    "48-25.1": 0.6,
    "48-26.1": 0.4,
    "48-27.1": 0.8,
    "48-28.1": 1.5,
    "48-30.1": 0.5,
    "48-32.1": 0.6,
    "48-33.1": 0.3,
}
# Items a county institute commonly holds a standard for.
COUNTY_ITEMS = ["48-04.1", "48-08.1", "48-05.1", "48-02.1", "48-02.2", "48-16.1", "48-10.1a"]
# Electricity meters are verified by the grid's authorised station (计量法实施细则 第二十六条).
GRID_CATEGORY = "电能表"
ENTERPRISE_BRANDS = [
    "华润",
    "新华",
    "永盛",
    "海天",
    "民生",
    "东方",
    "金信",
    "百合",
    "长城",
    "恒达",
    "瑞丰",
    "宏远",
    "天和",
    "兴业",
    "安康",
    "万家",
]
ENTERPRISE_TRADES = [
    "加油站",
    "农贸市场",
    "超市",
    "医院",
    "燃气",
    "水务",
    "供电服务",
    "物流",
    "化工",
    "出租汽车",
    "检测",
    "食品",
    "眼镜",
    "环保科技",
    "热力",
    "建材",
]
# Street names for the demo's addresses (common names in any Zhejiang town).
STREETS = ["人民路", "解放路", "中山路", "文化路", "建设路", "环城东路", "学院路", "体育场路", "江滨大道", "工业园区创业路"]
MANUFACTURERS = [
    "上海大华",
    "宁波水表",
    "杭州华立",
    "正泰仪表",
    "金卡智能",
    "梅特勒-托利多",
    "鱼跃医疗",
    "欧姆龙",
    "托肯恒山",
    "威星智能",
    "三川智慧",
    "海兴电力",
]


@dataclass
class Defects:
    """Where the generator planted problems, for tests and for the demo's story."""

    lapsed_standards: list[str] = field(default_factory=list)  # certificate numbers
    suspended_standard: str = ""
    broken_chain_standard: str = ""  # its device's calibration expired and was not renewed
    out_of_tolerance_standard: str = ""
    out_of_tolerance_found_on: str = ""
    overdue_instruments: int = 0
    coverage_gaps: list[tuple[str, str]] = field(default_factory=list)  # (county code, catalog code)


@dataclass
class GenerationReport:
    seed: int
    as_of: str
    instruments: int = 0
    standard_devices: int = 0
    events: int = 0
    standards: int = 0
    organisations: int = 0
    defects: Defects = field(default_factory=Defects)


def _day(date: dt.date) -> int:
    return (date - EPOCH).days


NAT_DAY = np.iinfo(np.int64).min  # a day number that _dates turns into NaT (written as NULL)


def _dates(days: np.ndarray) -> np.ndarray:
    """Day numbers since 1970 as dates (NAT_DAY: none); the bulk writer lays them out per database."""
    return days.astype("int64").astype("datetime64[D]")


class _Progress:
    """A Rich progress bar, or nothing."""

    def __init__(self, enabled: bool, total: int):
        self.bar = None
        if enabled:
            self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            self.bar.start()
            self.task = self.bar.add_task("生成 generating", total=total)

    def advance(self, n: int, description: str | None = None):
        if self.bar:
            self.bar.update(self.task, advance=n, description=description or self.bar.tasks[0].description)

    def close(self):
        if self.bar:
            self.bar.stop()


class _Builder:
    def __init__(self, seed: int, as_of: dt.date):
        self.seed = seed
        self.as_of = as_of
        self.rng = np.random.default_rng([seed, 0])
        self.today = _day(as_of)
        self.history_start = self.today - 365 * HISTORY_YEARS
        self.report = GenerationReport(seed=seed, as_of=as_of.isoformat())
        self._credit_serial = 0
        self._certificate_serial = 0

    # -- small tables, written with the ORM in bulk ------------------------------------

    def credit_code(self, kind_prefix: str, region_code: str) -> str:
        self._credit_serial += 1
        body = f"{self._credit_serial:09d}"
        return make_credit_code(f"{kind_prefix}{region_code}{body}")

    def address(self, region, rng) -> str:
        """A street address in the region: its province, city and county names, a street, a number."""
        names = []
        for code in dict.fromkeys((region.code[:2] + "0000", region.code[:4] + "00", region.code)):
            r = self.regions.get(code)
            if r is not None and r.name not in names and not r.name.endswith("市辖区"):
                names.append(r.name)
        return f"{''.join(names)}{STREETS[int(rng.integers(len(STREETS)))]}{int(rng.integers(1, 400))}号"

    def organisations(self):
        regions = {r.code: r for r in models.Region.objects.all()}
        self.regions = regions
        province = regions["330000"]
        self.cities = [r for r in regions.values() if r.level == "city" and r.code.startswith("33")]
        self.counties = [r for r in regions.values() if r.level == "county" and r.code.startswith("33")]
        Org = models.Organisation
        K = Org.Kind
        orgs: list[Org] = []

        streets = np.random.default_rng([self.seed, 11])  # its own stream: the other draws stay as they were

        def add(name, kind, region, prefix):
            org = Org(
                name=name,
                kind=kind,
                region=region,
                credit_code=self.credit_code(prefix, region.code),
                address=self.address(region, streets),
            )
            orgs.append(org)
            return org

        self.nim = add("中国计量科学研究院", K.LEGAL_INSTITUTE, regions["110105"], "12")
        self.province_admin = add("浙江省市场监督管理局", K.ADMINISTRATION, province, "11")
        self.province_institute = add("浙江省计量科学研究院", K.LEGAL_INSTITUTE, province, "12")
        self.grid_institute = add("国网浙江省电力有限公司营销服务中心（电能计量授权站）", K.AUTHORISED_INSTITUTE, province, "91")
        self.medical_station = add("浙江省医疗器械检验研究院计量站", K.PROFESSIONAL_STATION, province, "12")
        self.city_admin, self.city_institute, self.county_admin, self.county_institute = {}, {}, {}, {}
        for city in self.cities:
            self.city_admin[city.code] = add(f"{city.name}市场监督管理局", K.ADMINISTRATION, city, "11")
            self.city_institute[city.code] = add(f"{city.name}计量检定测试院", K.LEGAL_INSTITUTE, city, "12")
        for county in self.counties:
            self.county_admin[county.code] = add(f"{county.name}市场监督管理局", K.ADMINISTRATION, county, "11")
        # Not every county keeps its own institute; the others are served by the city.
        with_institute = self.rng.random(len(self.counties)) < 0.75
        for county, has in zip(self.counties, with_institute):
            if has:
                self.county_institute[county.code] = add(f"{county.name}计量检定所", K.LEGAL_INSTITUTE, county, "12")
        self.labs = [
            add(f"{city.name}{brand}校准检测有限公司", K.LABORATORY, city, "91")
            for city, brand in zip(self.cities, ENTERPRISE_BRANDS)
        ]
        # The national administration assesses the province's highest public standards
        # (计量标准考核办法 第五条); added last so the other organisations keep their codes.
        self.national_admin = add("国家市场监督管理总局", K.ADMINISTRATION, regions["110000"], "11")
        Org.objects.bulk_create(orgs, batch_size=2000)
        self.report.organisations += len(orgs)

    def enterprises(self, count: int):
        rng = np.random.default_rng([self.seed, 1])
        county_idx = rng.integers(0, len(self.counties), count)
        brand = rng.integers(0, len(ENTERPRISE_BRANDS), count)
        trade = rng.integers(0, len(ENTERPRISE_TRADES), count)
        # Column-wise with ids of our own, like the instruments: 10^7 instruments mean 2.5·10^5
        # enterprises, too many for model objects.
        counties = [self.counties[c] for c in county_idx.tolist()]
        names = [
            f"{county.name}{ENTERPRISE_BRANDS[b]}{ENTERPRISE_TRADES[t]}有限公司第{i + 1}分公司"
            for i, (county, b, t) in enumerate(zip(counties, brand.tolist(), trade.tolist()))
        ]
        credit_codes = [self.credit_code("91", county.code) for county in counties]
        streets = np.random.default_rng([self.seed, 12])  # its own stream: the other draws stay as they were
        street, number = streets.integers(0, len(STREETS), count), streets.integers(1, 800, count)
        first = bulk.next_id(models.Organisation)
        ids = np.arange(first, first + count, dtype=np.int64)
        bulk.write_columns(
            "registry_organisation",
            ["id", "name", "credit_code", "kind", "region_id", "address"],
            [
                ids,
                names,
                credit_codes,
                [models.Organisation.Kind.ENTERPRISE.value] * count,
                np.array([county.id for county in counties], dtype=np.int64),
                [f"{county.name}{STREETS[k]}{n}号" for county, k, n in zip(counties, street.tolist(), number.tolist())],
            ],
        )
        bulk.reset_sequences(models.Organisation)
        self.report.organisations += count
        self.enterprise_ids = ids
        self.enterprise_county = county_idx

    def people(self):
        """Verifiers with item qualifications, and registered metrologists, per institute."""
        items = list(models.CatalogItem.objects.filter(code__in=ITEM_WEIGHTS))
        self.items = items
        institutes = [
            self.nim,
            self.province_institute,
            self.grid_institute,
            self.medical_station,
            *self.city_institute.values(),
            *self.county_institute.values(),
            *self.labs,
        ]
        persons = []
        surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
        given = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"
        rng = np.random.default_rng([self.seed, 2])
        for inst in institutes:
            n = 12 if inst in (self.nim, self.province_institute) else 5
            names: set[str] = set()
            while len(names) < n:  # no namesakes inside one institution: a person's natural key
                names.add(
                    surnames[rng.integers(len(surnames))] + given[rng.integers(len(given))] + given[rng.integers(len(given))]
                )
            persons.extend(models.Person(name=name, organisation=inst) for name in sorted(names))
        models.Person.objects.bulk_create(persons, batch_size=5000)
        # Column-wise, like the instruments: some 10^4 rows at any size, too many for model
        # objects (bulk_create of them cost seconds of every generated province).
        names = (
            "person_id",
            "kind",
            "certificate_number",
            "specialty",
            "catalog_item_id",
            "organisation_id",
            "valid_from",
            "valid_until",
        )
        quals: dict[str, list] = {name: [] for name in names}

        def qualification(person, kind, number, valid_from, valid_until, specialty="", item=None, organisation=None):
            row = (person.id, kind, number, specialty, item.id if item else None, organisation.id if organisation else None)
            for name, value in zip(names, (*row, valid_from, valid_until)):
                quals[name].append(value)

        start = self.as_of - dt.timedelta(days=365 * 3)
        # Since 2019 a verifier is a 注册计量师 registered with the institution (注册证 valid 5
        # years) holding a passed 计量专业项目考核 per item (注册计量师职业资格制度规定 第十四条);
        # some still sign on an old 检定员证 (a few have lapsed: the signing check refuses
        # them). Two people of each institution are its authorised signatories (授权签字人).
        history_start = self.as_of - dt.timedelta(days=365 * HISTORY_YEARS + 60)
        org_of = {id(inst): inst for inst in institutes}
        seen: dict[int, int] = {}
        for k, person in enumerate(persons):
            inst = person.organisation
            rank = seen[id(inst)] = seen.get(id(inst), -1) + 1
            until = self.as_of + dt.timedelta(days=365 * 2)
            kind = "metrologist_2" if k % 3 else "metrologist_1"
            qualification(person, kind, f"ZCJLS{k:07d}", history_start, until, specialty="计量", organisation=org_of[id(inst)])
            if rank < 2:
                qualification(person, "signatory", f"QZR{k:07d}", history_start, until, organisation=org_of[id(inst)])
            for item in items:
                if rng.random() < 0.6:
                    qualification(person, "item_assessment", f"XMKH{k:05d}{item.code}", history_start, until, item.name, item)
                elif rng.random() < 0.05:
                    # An old 检定员证; a few have lapsed.
                    ended = start + dt.timedelta(days=365 * 5 if rng.random() > 0.3 else 400)
                    qualification(person, "verifier", f"JDY{k:05d}{item.code}", start, ended, item.name, item)
        bulk.write_columns(models.Qualification._meta.db_table, names, [quals[name] for name in names])
        bulk.reset_sequences(models.Qualification)
        by_org: dict[int, list[int]] = {}
        for person in persons:
            by_org.setdefault(person.organisation_id, []).append(person.id)
        self.people_by_org = by_org

    def primary_standards(self):
        quantities = list(models.Quantity.objects.all())
        self.quantities = quantities
        rows = []
        for k, q in enumerate(quantities):
            rows.append(
                models.PrimaryStandard(
                    code=f"国基证〔2008〕第{k + 101:03d}号",
                    name=f"{q.name}国家计量基准",
                    quantity=q,
                    range_min=0.0,
                    range_max=1e9,
                    unit=q.unit,
                    uncertainty=1e-6,
                    k=2.0,
                    holder=self.nim,
                )
            )
        models.PrimaryStandard.objects.bulk_create(rows)
        self.primary_by_quantity = {p.quantity_id: p for p in rows}

    def standards(self):
        """Public standards: per quantity at the province, per catalog item in cities and some counties."""
        rng = np.random.default_rng([self.seed, 3])
        S = models.MeasurementStandard
        standards: list[S] = []
        self.std_province_q: dict[int, S] = {}
        self.std_city_item: dict[tuple[str, str], S] = {}
        self.std_county_item: dict[tuple[str, str], S] = {}
        serial = iter(range(1, 10**6))

        level_word = {"province": "省", "city": "市", "county": "县", "": "企"}

        def make(name, tier, level, holder, field_id, admin, approved_years_ago, quantity_id, item_code=None):
            first = self.as_of - dt.timedelta(days=int(365 * approved_years_ago))
            # The current certificate: the latest term (JILIANG_STANDARD_CERTIFICATE_YEARS) that contains today.
            years, term = (self.as_of - first).days // 365, settings.JILIANG_STANDARD_CERTIFICATE_YEARS
            term_start = first + dt.timedelta(days=365 * (years // term) * term)
            std = S(
                name=name,
                tier=tier,
                level=level,
                holder=holder,
                field_id=field_id,
                issuing_department=admin,
                certificate_number=f"[{term_start.year}]浙量标{level_word[level]}证字第{next(serial):05d}号",
                valid_from=term_start,
                valid_until=models.default_valid_until(term_start),
                status=S.Status.ACTIVE,
            )
            std._first_approved = first
            std._quantity_id = quantity_id
            std._item_code = item_code
            standards.append(std)
            return std

        for q in self.quantities:
            self.std_province_q[q.id] = make(
                f"{q.name}标准装置",
                S.Tier.PUBLIC,
                S.Level.PROVINCE,
                self.province_institute,
                q.field_id,
                self.national_admin,  # the province's highest: assessed by SAMR
                12 + rng.random() * 10,
                q.id,
            )
        items = {i.code: i for i in self.items}
        for city in self.cities:
            for item in self.items:
                # About one city in ten lacks a standard for an item: the province serves it.
                if rng.random() < 0.88:
                    self.std_city_item[(city.code, item.code)] = make(
                        f"{item.name}检定装置",
                        S.Tier.PUBLIC,
                        S.Level.CITY,
                        self.city_institute[city.code],
                        item.field_id,
                        self.province_admin,  # the city's highest: assessed one level up
                        11.5 + rng.random() * 8,
                        item.quantity_id,
                        item.code,
                    )
        city_admin_by_id = {city.id: self.city_admin[city.code] for city in self.cities}
        for county in self.counties:
            if county.code not in self.county_institute:
                continue
            for code in COUNTY_ITEMS:
                if rng.random() < 0.7:
                    item = items[code]
                    self.std_county_item[(county.code, code)] = make(
                        f"{item.name}检定装置",
                        S.Tier.PUBLIC,
                        S.Level.COUNTY,
                        self.county_institute[county.code],
                        item.field_id,
                        city_admin_by_id.get(county.parent_id, self.province_admin),  # one level up
                        11 + rng.random() * 8,
                        item.quantity_id,
                        code,
                    )
        self.lab_standards = [
            make(
                f"{self.quantities[k % len(self.quantities)].name}校准装置",
                S.Tier.ENTERPRISE,
                "",
                lab,
                self.quantities[k % len(self.quantities)].field_id,
                self.province_admin,
                11 + rng.random() * 4,
                self.quantities[k % len(self.quantities)].id,
            )
            for k, lab in enumerate(self.labs)
        ]
        S.objects.bulk_create(standards, batch_size=2000)
        self.all_standards = standards
        self.report.standards = len(standards)

        # Status history: first approval, and each re-examination (复查) since.
        changes = []
        for std in standards:
            changes.append(
                models.StandardStatusChange(
                    standard=std, status="active", effective_on=std._first_approved, reason="建标考核合格"
                )
            )
            if std.valid_from > std._first_approved:
                changes.append(
                    models.StandardStatusChange(
                        standard=std,
                        status="active",
                        effective_on=std.valid_from,
                        reason=f"复查考核合格，换发证书 {std.certificate_number}",
                    )
                )
        models.StandardStatusChange.objects.bulk_create(changes, batch_size=5000)

        caps, spec_links, item_links = [], [], []
        Through = S.specifications.through
        ItemThrough = S.catalog_items.through
        rows = {r["code"]: r for r in reference_data.catalog_rows()}
        ratios = dict(
            models.Specification.objects.filter(id__in=[i.regulation_id for i in self.items if i.regulation_id]).values_list(
                "id", "required_ratio"
            )
        )
        for q in self.quantities:
            std = self.std_province_q[q.id]
            # A standard covers only the items it lists: the province's lists its quantity's items,
            # over the span of their ranges (not an open-ended 0–10⁸).
            served = [i for i in self.items if i.quantity_id == q.id]
            item_links.extend(ItemThrough(measurementstandard_id=std.id, catalogitem_id=i.id) for i in served)
            spans = [rows[i.code]["range"] for i in served if i.code in rows]
            low, high = (min(a for a, _b in spans), max(b for _a, b in spans)) if spans else (0.0, 1e6)
            caps.append(
                models.Capability(
                    standard=std, quantity=q, range_min=low, range_max=high, unit=q.unit, uncertainty=0.001, k=2.0, relative=True
                )
            )
        for (_region_code, code), std in [*self.std_city_item.items(), *self.std_county_item.items()]:
            item = items[code]
            row = rows[code]
            # The city's or county's standard is of the class its item's regulation asks for
            # (e.g. a 0.4级 precision gauge for 1.6级 pressure gauges, JJG 52-2013: within 1/4):
            # from the item's accuracy class and the regulation's required ratio.
            mpe = relative_mpe(row["accuracy"])
            ratio = ratios.get(item.regulation_id, 3.0)
            klass, uncertainty = standard_for(mpe, ratio) if mpe is not None else (None, 0.01)
            caps.append(
                models.Capability(
                    standard=std,
                    quantity_id=item.quantity_id,
                    range_min=row["range"][0],
                    range_max=row["range"][1],
                    unit=next(q.unit for q in self.quantities if q.id == item.quantity_id),
                    accuracy_class=f"{100 * klass:g}级" if klass is not None else "标准器",
                    mpe=klass,
                    uncertainty=uncertainty,
                    k=2.0,
                    relative=True,
                )
            )
            item_links.append(ItemThrough(measurementstandard_id=std.id, catalogitem_id=item.id))
            if item.regulation_id:
                spec_links.append(Through(measurementstandard_id=std.id, specification_id=item.regulation_id))
        for std in self.lab_standards:
            q = next(q for q in self.quantities if q.field_id == std.field_id)
            caps.append(
                models.Capability(
                    standard=std, quantity=q, range_min=0.0, range_max=1e6, unit=q.unit, uncertainty=0.005, k=2.0, relative=True
                )
            )
        models.Capability.objects.bulk_create(caps, batch_size=5000)
        Through.objects.bulk_create(spec_links, batch_size=5000)
        ItemThrough.objects.bulk_create(item_links, batch_size=5000)

    def type_approvals(self):
        """The type approval register (型式批准): one approval per manufacturer's model of
        each demo item marked P or P+V; the instruments carry these numbers."""
        rng = np.random.default_rng([self.seed, 7])
        numbers = np.full((len(MANUFACTURERS), len(self.items)), "", dtype=object)
        rows = []
        for j, item in enumerate(self.items):
            if not item.needs_type_approval:
                continue
            for m, maker in enumerate(MANUFACTURERS):
                year = 2012 + int(rng.integers(0, 12))
                numbers[m, j] = f"{year}C{m * 100 + j:05d}-33"
                rows.append(
                    models.TypeApproval(
                        number=numbers[m, j],
                        catalog_item=item,
                        manufacturer=maker,
                        model=f"M{j * 7 + m:03d}",
                        name=item.name,
                        authority="浙江省市场监督管理局" if m % 3 else "国家市场监督管理总局",
                        approved_on=dt.date(year, 1 + int(rng.integers(0, 12)), 1 + int(rng.integers(0, 28))),
                    )
                )
        models.TypeApproval.objects.bulk_create(rows, batch_size=5000)
        self.approval_numbers = numbers

    # -- standard devices and their calibration history --------------------------------

    def assign(self):
        """Which standard (and institution) verifies item j in county c: county, else city,
        else province; and how much work each standard gets (share of instruments)."""
        items = self.items
        n_counties = len(self.counties)
        assign_std = np.zeros((n_counties, len(items)), dtype=np.int64)
        assign_org = np.zeros((n_counties, len(items)), dtype=np.int64)
        gaps = []
        for ci, county in enumerate(self.counties):
            for j, item in enumerate(items):
                std = self.std_county_item.get((county.code, item.code)) or self.std_city_item.get(
                    (county.code[:4] + "00", item.code)
                )
                if std is None:
                    std = self.std_province_q[item.quantity_id]
                    gaps.append((county.code, item.code))
                if item.category == GRID_CATEGORY:
                    std = self.std_province_q[item.quantity_id]  # electricity meters: the authorised station
                    assign_org[ci, j] = self.grid_institute.id
                else:
                    assign_org[ci, j] = std.holder_id
                assign_std[ci, j] = std.id
        self.report.defects.coverage_gaps = gaps[:50]
        self.assign_std, self.assign_org = assign_std, assign_org
        weight = np.array([ITEM_WEIGHTS.get(i.code, 1.0) for i in items])
        per_county = np.bincount(self.enterprise_county, minlength=n_counties).astype(float)
        load = np.bincount(assign_std.ravel(), weights=(per_county[:, None] * weight[None, :]).ravel())
        self.workload = {s.id: (load[s.id] if s.id < load.size else 0.0) for s in self.all_standards}

    def upstream_of(self, std) -> tuple[object | None, object | None]:
        """(upstream measurement standard, primary standard) that calibrates std's devices:
        county → city standard of the same item (else the province), city and laboratory →
        the provincial standard of the quantity, province → the national primary standard."""
        if std.level == "province":
            return None, self.primary_by_quantity[std._quantity_id]
        if std.level == "county":
            city_std = self.std_city_item.get((std.holder.region.code[:4] + "00", std._item_code))
            if city_std is not None:
                return city_std, None
        return self.std_province_q[std._quantity_id], None

    def devices_and_history(self, writer_events):
        rng = np.random.default_rng([self.seed, 4])
        devices = []
        for std in self.all_standards:
            for d in range(1 + int(rng.random() < 0.4)):
                devices.append(
                    models.Instrument(
                        code=f"BZQ{len(devices) + 1:07d}",
                        name=f"{std.name}主标准器{d + 1}",
                        owner=std.holder,
                        region=std.holder.region,
                        manufacturer=MANUFACTURERS[len(devices) % len(MANUFACTURERS)],
                        model=f"STD-{len(devices) % 97:02d}",
                        serial_number=f"S{len(devices) + 1:08d}",
                        accuracy="标准器",
                        status="in_use",
                        standard=std,
                        installed_on=std._first_approved - dt.timedelta(days=60),
                    )
                )
        models.Instrument.objects.bulk_create(devices, batch_size=5000)
        self.device_ids = [d.pk for d in devices]
        self.report.standard_devices = len(devices)
        d = self.report.defects
        # Choose the defects among the standards.
        county_stds = list(self.std_county_item.values())
        city_stds = list(self.std_city_item.values())
        # Defects sit on busy standards, so that they touch instruments in any size of province.
        busiest = lambda stds: sorted(stds, key=lambda s: (-self.workload[s.id], s.certificate_number))  # noqa: E731
        feeding = {id(self.upstream_of(c)[0]) for c in county_stds}
        broken = busiest([s for s in city_stds if id(s) in feeding])[0]
        suspended = busiest([s for s in city_stds if s is not broken])[0]
        lapsed = busiest(county_stds)[:3]
        mass = next(q for q in self.quantities if q.name == "质量")
        out_of_tol = self.std_province_q[mass.id]  # the provincial mass standard: scales, weights, dispensers below it
        for std in lapsed:
            std.valid_until = self.as_of - dt.timedelta(days=int(60 + rng.integers(0, 200)))
            std.valid_from = std.valid_until.replace(year=std.valid_until.year - 4) + dt.timedelta(days=1)
            models.MeasurementStandard.objects.filter(pk=std.pk).update(valid_from=std.valid_from, valid_until=std.valid_until)
            d.lapsed_standards.append(std.certificate_number)
        suspended_on = self.as_of - dt.timedelta(days=90)
        suspended.status = "suspended"
        models.MeasurementStandard.objects.filter(pk=suspended.pk).update(status="suspended")
        models.StandardStatusChange.objects.create(
            standard=suspended, status="suspended", effective_on=suspended_on, reason="期间核查不合格，暂停使用"
        )
        d.suspended_standard = suspended.certificate_number
        d.broken_chain_standard = broken.certificate_number
        d.out_of_tolerance_standard = out_of_tol.certificate_number
        found_on = self.as_of - dt.timedelta(days=20)
        d.out_of_tolerance_found_on = found_on.isoformat()

        # Yearly calibrations of every device by its upstream standard, oldest first.
        event_rows, link_rows = [], []
        for device in devices:
            std = device.standard
            upstream, primary = self.upstream_of(std)
            performer = upstream.holder if upstream is not None else self.nim
            people = self.people_by_org.get(performer.id, [None])
            # A standard's devices are calibrated from before its approval on, every year,
            # a little early rather than late, so a healthy chain never has a gap.
            day = _day(std._first_approved) - 30 - int(rng.integers(0, 300))
            last_day = self.today
            if std is broken:
                last_day = self.today - 420  # its last calibration ran out ~55 days ago
            while day <= last_day:
                # Calibrations (校准): no verdict, no validity; the chain counts each for its
                # standard's recalibration plan (12 months). The out-of-tolerance device's last
                # event is a failed verification (检定不合格: a 检定结果通知书, no validity).
                kind, passed, valid_until = "calibration", None, None
                if std is out_of_tol and day + 365 > self.today:
                    day = _day(found_on)
                    kind, passed = "verification", False
                self._certificate_serial += 1
                eid = writer_events.next_event_id()
                ordinal = eid - writer_events.first + 1
                results = json.dumps([{"quantity": std.name, "value": 1.0, "unit": "1", "U": 2e-6, "k": 2}], ensure_ascii=False)
                event_rows.append(
                    (
                        eid,
                        device.id,
                        performer.id,
                        people[ordinal % len(people)],
                        primary.id if primary else None,
                        "",
                        None,
                        kind,
                        str(EPOCH + dt.timedelta(days=day)),
                        valid_until,
                        passed,
                        results,
                        2e-6,
                        f"JL-C{day // 365 + 1970}-{ordinal:09d}",
                        device.region_id,
                    )
                )
                if upstream is not None:
                    link_rows.append((eid, upstream.id))
                day += 365 - int(rng.integers(0, 20))
        writer_events.write([list(c) for c in zip(*event_rows)], [list(c) for c in zip(*link_rows)])
        # The failed verification of the out-of-tolerance devices ends their verified_until (derived).
        models.Instrument.objects.filter(standard=out_of_tol).update(verified_until=found_on)

    # -- working instruments, chunk by chunk --------------------------------------------

    def working_instruments(self, count: int, writer_events, progress: _Progress):
        items = self.items
        codes = [i.code for i in items]
        weights = np.array([ITEM_WEIGHTS.get(c, 1.0) for c in codes])
        weights = weights / weights.sum()
        periodic = np.array([i.management_mode == "periodic" for i in items])
        period_days = np.array([int((i.period_months or 12) * 30.44) for i in items])
        # 失准报废 items stay valid until they fail: no end date (models.NO_EXPIRY); their age
        # is drawn as that of a ten-year life.
        scrap = np.array([i.management_mode == models.CatalogItem.Mode.FIRST_ONLY_SCRAP for i in items])
        life_days = np.array([int((i.service_life_years or 10) * 365.25) for i in items])
        no_expiry = (models.NO_EXPIRY - EPOCH).days
        purpose = np.array([(i.purposes or ["trade"])[0] for i in items], dtype=object)
        approval_numbers = self.approval_numbers
        item_ids = np.array([i.id for i in items], dtype=np.int64)
        rows = {r["code"]: r for r in reference_data.catalog_rows()}
        range_min = np.array([rows[c]["range"][0] for c in codes], dtype=float)
        range_max = np.array([rows[c]["range"][1] for c in codes], dtype=float)
        accuracy = np.array([rows[c]["accuracy"] for c in codes], dtype=object)
        units = {q.id: q.unit for q in self.quantities}
        unit = np.array([units[i.quantity_id] for i in items], dtype=object)
        names = np.array([i.name for i in items], dtype=object)

        assign_std, assign_org = self.assign_std, self.assign_org
        # People of each institution as one flat array indexed through the organisation id.
        max_org = max(self.people_by_org) + 1
        people_start = np.zeros(max_org, dtype=np.int64)
        people_count = np.ones(max_org, dtype=np.int64)
        flat: list[int] = []
        for org, ids_ in self.people_by_org.items():
            people_start[org], people_count[org] = len(flat), len(ids_)
            flat.extend(ids_)
        people_flat = np.array(flat, dtype=np.int64)

        base_id = bulk.next_id(models.Instrument)
        overdue_total = 0
        for start in range(0, count, CHUNK):
            n = min(CHUNK, count - start)
            rng = np.random.default_rng([self.seed, 100, start // CHUNK])
            ids = np.arange(base_id + start, base_id + start + n, dtype=np.int64)
            ordinals = np.arange(start + 1, start + n + 1)  # codes never depend on database ids
            item = rng.choice(len(items), n, p=weights)
            ent = rng.integers(0, len(self.enterprise_ids), n)
            owner = self.enterprise_ids[ent]
            county = self.enterprise_county[ent]
            region_ids = np.array([c.id for c in self.counties], dtype=np.int64)[county]
            mandatory = rng.random(n) >= 0.03
            legal = np.where(mandatory, purpose[item], "none")
            is_periodic = periodic[item]
            age = np.where(
                is_periodic, rng.integers(30, 365 * 9, n), (rng.random(n) * life_days[item] * 1.05).astype(np.int64) + 20
            )
            installed = self.today - age
            status = np.where(rng.random(n) < 0.03, "stopped", "in_use")
            status = np.where(rng.random(n) < 0.01, "scrapped", status)
            maker = rng.integers(0, len(MANUFACTURERS), n)
            # Events: periodic items every period since max(installation, history start);
            # first-verification items once, at installation.
            p = period_days[item]
            first = np.where(
                is_periodic, np.maximum(installed, self.history_start + (installed - self.history_start) % p), installed
            )
            n_events = np.where(is_periodic, (self.today - first) // p + 1, 1)
            # Some owners stop sending instruments: overdue (超期未检).
            stops = is_periodic & (rng.random(n) < 0.04) & (n_events > 1) & (status == "in_use")
            n_events = np.where(stops, n_events - 1 - rng.integers(0, 2, n).clip(0, n_events - 2), n_events)
            n_events = np.maximum(n_events, 1)
            overdue_total += int(stops.sum())
            owner_of_event = np.repeat(np.arange(n), n_events)
            offset = np.arange(owner_of_event.size) - np.repeat(np.cumsum(n_events) - n_events, n_events)
            jitter = rng.integers(-10, 1, owner_of_event.size)  # early, never late: no gaps
            day = first[owner_of_event] + offset * p[owner_of_event] + np.where(offset > 0, jitter, 0)
            day = np.minimum(day, self.today)
            passed = rng.random(day.size) >= 0.02
            valid = np.where(is_periodic[owner_of_event], day + p[owner_of_event] - 1, day + life_days[item[owner_of_event]])
            valid = np.where(scrap[item[owner_of_event]], no_expiry, valid)
            # A failed verification states no validity (检定结果通知书); NO_DAY is written as NULL.
            valid = np.where(passed, valid, NAT_DAY)
            instrument_columns = [
                # Numbers and dates stay arrays: the writer encodes them a column at a time.
                ids,
                [f"JL{i:010d}" for i in ordinals.tolist()],
                names[item],
                item_ids[item],
                legal,
                owner,
                region_ids,
                np.array(MANUFACTURERS, dtype=object)[maker],
                [f"M{m:03d}" for m in (item * 7 + maker).tolist()],  # the approved model
                [f"SN{i:011d}" for i in ordinals.tolist()],
                approval_numbers[maker, item],  # from the type approval register ("" for V items)
                accuracy[item],
                range_min[item],
                range_max[item],
                unit[item],
                status,
                _dates(installed),
                # verified_until: each instrument's last event (a failed one: its own date).
                _dates(np.where(passed, valid, day)[np.cumsum(n_events) - 1]),
            ]
            writer_events.sink(
                "registry_instrument",
                [
                    "id",
                    "code",
                    "name",
                    "catalog_item_id",
                    "legal_purpose",
                    "owner_id",
                    "region_id",
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
                    "verified_until",
                ],
                instrument_columns,
            )

            std_of_event = assign_std[county[owner_of_event], item[owner_of_event]]
            org_of_event = assign_org[county[owner_of_event], item[owner_of_event]]
            eids = writer_events.reserve(day.size)
            event_ordinals = eids - writer_events.first + 1
            person = people_flat[people_start[org_of_event] + event_ordinals % people_count[org_of_event]]
            spec = np.array([i.regulation_id for i in items], dtype=np.int64)[item[owner_of_event]]
            years = 1970 + day // 365
            event_columns = [
                eids,
                ids[owner_of_event],
                org_of_event,
                person,
                [None] * day.size,
                [""] * day.size,
                spec,
                ["verification"] * day.size,
                _dates(day),
                _dates(valid),
                passed,
                ["[]"] * day.size,
                [None] * day.size,
                [f"JL-V{y}-{e:09d}" for y, e in zip(years.tolist(), event_ordinals.tolist())],
                region_ids[owner_of_event],
            ]
            writer_events.write(event_columns, [eids, std_of_event])
            self.report.instruments += n
            progress.advance(n)
        self.report.defects.overdue_instruments = overdue_total


class _EventWriter:
    COLUMNS = [
        "id",
        "instrument_id",
        "performer_id",
        "person_id",
        "primary_standard_id",
        "external_source",
        "specification_id",
        "kind",
        "performed_on",
        "valid_until",
        "passed",
        "results",
        "uncertainty",
        "certificate_number",
        "region_id",
    ]

    def __init__(self, report: GenerationReport):
        self.next = self.first = bulk.next_id(models.CalibrationEvent)
        self.next_link = bulk.next_id(models.EventStandard)
        self.report = report
        self.sink = bulk.write_columns  # or a PipelinedWriter's, for the bulk of the rows

    def next_event_id(self) -> int:
        self.next += 1
        return self.next - 1

    def reserve(self, n: int) -> np.ndarray:
        ids = np.arange(self.next, self.next + n, dtype=np.int64)
        self.next += n
        return ids

    def write(self, event_columns, link_columns):
        """Events and their standard links, both given column by column."""
        self.report.events += self.sink("registry_calibrationevent", self.COLUMNS, event_columns)
        n_links = len(link_columns[0]) if link_columns else 0
        if n_links:
            link_ids = np.arange(self.next_link, self.next_link + n_links, dtype=np.int64)
            self.next_link += n_links
            self.sink("registry_eventstandard", ["id", "event_id", "standard_id"], [link_ids, *link_columns])


class _LedgerDigests:
    """The audit ledger's digests of the rows the column writers write (working instruments,
    events, their standard links: nearly all of a province), computed from the columns as
    they go out (in a worker process: ``ColumnDigests``) instead of reading millions of rows
    back; recorded as batches at the end."""

    MODELS = {
        "registry_instrument": models.Instrument,
        "registry_calibrationevent": models.CalibrationEvent,
        "registry_eventstandard": models.EventStandard,
    }

    def __init__(self):
        self.digests = ColumnDigests()

    def covering(self, sink):
        def write(table, columns, values):
            model = self.MODELS.get(table)
            if model is not None and len(values[0]):
                self.digests.add(model, columns, values)
            return sink(table, columns, values)

        return write

    def record(self) -> None:
        self.digests.record("create")

    def close(self) -> None:
        self.digests.close()


def registry_is_empty() -> bool:
    return not models.Organisation.objects.exists()


@transaction.atomic
def clear_registry() -> None:
    """Empty the registry for `generate --replace`: set-based deletes (a per-row delete of
    10^7 instruments would take hours), each table's removal one entry on the audit ledger."""
    registry_tables = (
        models.EventStandard,
        models.CalibrationEvent,
        models.Instrument,
        models.Qualification,
        models.Person,
        models.Capability,
        models.StandardStatusChange,
        models.MeasurementStandard.specifications.through,
        models.MeasurementStandard.catalog_items.through,
        models.MeasurementStandard,
        models.CertifiedValue,
        models.ReferenceMaterial,
        models.PrimaryStandard,
        models.TypeApproval,
        models.Organisation,
    )
    # Rows of other apps that point into the registry go first (recalls, certificates, …).
    # (transitively: a recall's items point at its notices, which point at organisations).
    others = [
        m
        for m in apps.get_models()
        if m._meta.app_label not in ("registry", "audit", "auth", "admin", "contenttypes", "sessions")
    ]
    doomed, dependants = set(registry_tables), []
    while True:
        more = [
            m
            for m in others
            if m not in doomed and any(f.is_relation and f.related_model in doomed for f in m._meta.get_fields() if f.concrete)
        ]
        if not more:
            break
        doomed.update(more)
        dependants = more + dependants
    doomed_in_order = (*dependants, *registry_tables)
    counts = _truncate(doomed_in_order) if connection.vendor == "postgresql" else None
    for model in doomed_in_order:
        count = counts[model] if counts is not None else model.objects.all()._raw_delete(model.objects.db)
        if count:
            record("delete", model, actor="cli:generate --replace", new={"rows": count}, reason="demo province replaced")


def _truncate(tables) -> dict | None:
    """Empty the tables with one TRUNCATE (PostgreSQL): a DELETE of millions of rows queues
    a deferred foreign-key check per row, run at the commit (minutes at 10^6 instruments).
    Row counts per model; None when a table outside the set still points into it (the
    caller then deletes row by row, which reports that row)."""
    counts = {model: model.objects.count() for model in tables}
    # Their many-to-many link tables go too (apps.get_models leaves auto-created ones out).
    links = {
        f.remote_field.through._meta.db_table
        for model in tables
        for f in model._meta.many_to_many
        if f.remote_field.through._meta.auto_created
    }
    if any(
        f.remote_field.through._meta.db_table in links and f.remote_field.through.objects.exists()
        for model in tables
        for f in model._meta.many_to_many
        if f.remote_field.through not in tables
    ):
        return None  # links that would go unrecorded: the caller's deletes name them
    names = ", ".join(f'"{table}"' for table in [model._meta.db_table for model in tables] + sorted(links))
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {names}")
    except DatabaseError:
        return None
    return counts


# The tables the builder writes in bulk (past the audit signals): each is covered on the
# audit ledger by batches of its new rows (``record_batches``), in the same transaction.
BULK_WRITTEN = (
    models.Organisation,
    models.Person,
    models.Qualification,
    models.TypeApproval,
    models.PrimaryStandard,
    models.MeasurementStandard,
    models.StandardStatusChange,
    models.Capability,
    models.Instrument,
    models.CalibrationEvent,
    models.EventStandard,
)


# Called with the builder once institutions, people, standards and the assignment of work
# are made: apps above the registry (which it cannot import) add their own rows to the demo
# province in the same transaction, e.g. the authorisations of the institutions.
AFTER_ASSIGN: list = []


def generate(
    instruments: int = 100_000, seed: int = 2035, as_of: dt.date | None = None, progress: bool = False
) -> GenerationReport:
    """Build the demo province into the (empty) registry, in one transaction; every row it
    writes is on the audit ledger (reference data through the models' signals, the rest in
    batches)."""
    if not 1_000 <= instruments <= 10_000_000:
        raise ValueError(f"instruments: must be between 1000 and 10000000, got {instruments}")
    if not registry_is_empty():
        raise ValueError("the registry is not empty: use --replace to generate over it")
    builder = _Builder(seed, as_of or dt.date.today())
    bar = _Progress(progress, instruments)
    digests = _LedgerDigests()  # its worker is forked before the COPY thread starts
    try:
        with transaction.atomic():
            reference_data.install_reference_data()
            reference_data.install_regions(reference_data.BEIJING_REGIONS + reference_data.province_regions())
            first_ids = {model: bulk.next_id(model) for model in BULK_WRITTEN}
            builder.organisations()
            builder.enterprises(max(50, instruments // 40))
            builder.people()
            builder.type_approvals()
            builder.primary_standards()
            builder.standards()
            builder.assign()
            for hook in AFTER_ASSIGN:  # the apps above the registry add their rows (authorisations)
                hook(builder)
            writer = _EventWriter(builder.report)
            writer.sink = digests.covering(bulk.write_columns)
            with bulk.bulk_load("registry_instrument", "registry_calibrationevent", "registry_eventstandard"):
                builder.devices_and_history(writer)
                with bulk.PipelinedWriter() as pipeline:
                    writer.sink = digests.covering(pipeline.write_columns)
                    builder.working_instruments(instruments, writer, bar)
                writer.sink = bulk.write_columns
            bulk.reset_sequences(models.Instrument, models.CalibrationEvent, models.EventStandard)
            with audit_context(actor="cli:generate", reason=f"demo province, seed {seed}, as of {builder.as_of.isoformat()}"):
                for model in BULK_WRITTEN:
                    if model not in _LedgerDigests.MODELS.values():
                        record_batches("create", model, first_pk=first_ids[model])
                record_batches("create", models.Instrument, pks=builder.device_ids)  # the rest came through the writers
                digests.record()
    finally:
        digests.close()
        bar.close()
    _analyse()
    return builder.report


def _analyse() -> None:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def prepare_demo(instruments: int = 100_000, seed: int = 2035) -> GenerationReport | None:
    """Migrate and fill an empty database with the demo province (the report, None when it
    was there already). The users and the records of every capability are the demo
    command's (jiliang.console: the registry does not reach up into the other apps)."""
    call_command("migrate", interactive=False, verbosity=0)
    if registry_is_empty():
        print(f"Generating the demo province ({instruments:,} instruments)…", flush=True)
        return generate(instruments=instruments, seed=seed, progress=True)
    return None
