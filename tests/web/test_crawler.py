"""Every page of the site, as every role (Django's test client, no browser).

The URL patterns are read from the resolver, recursively, so a page added anywhere is
crawled; each must be listed in ``PAGES`` with what each role gets, or the first test
fails naming it. Path parameters come from real records of a generated demo province
(``province.py``). Left out, with their own tests: the admin (``admin/``), the REST API
and its schema and docs (``api/``, tests/api), and the language switch (``i18n/``, a POST
that the browser tests use).

Outcomes: ``OK`` renders (200); ``REFUSED`` is a login redirect for an anonymous visitor
and 403 for a signed-in role; ``POST_ONLY`` is an action (a login redirect or 405 on GET);
``REDIRECT`` sends a signed-in visitor on (the login page, the public's dashboard);
``HIDDEN`` is a record outside a signed-in role's scope (404, its existence not told). No
page answers 5xx to anyone. The navigation bar shown to a role links only pages that are
``OK`` for it, and each of those links renders.
"""

import re
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from lxml import html

from .province import ROLES

pytestmark = pytest.mark.django_db

OK, REFUSED, POST_ONLY, REDIRECT, HIDDEN = "ok", "refused", "post only", "redirect", "hidden"
EXCLUDED_PREFIXES = ("admin/", "api/", "i18n/")

SUPERVISORS = {"county_admin", "auditor", "superuser"}
SIGNED_IN = set(ROLES) - {"anonymous"}
DASHBOARD_ROLES = SUPERVISORS | {"institution_staff", "enterprise_user"}


def everyone(outcome=OK):
    return {role: outcome for role in ROLES}


def only(allowed, otherwise=REFUSED, **special):
    return {role: special.get(role, OK if role in allowed else otherwise) for role in ROLES}


def post_only():
    return everyone(POST_ONLY)


def scoped(allowed):
    """A record page: OK for the roles whose scope holds the record, 404 for the other roles
    of the page, refused to the public and anonymous visitors."""
    return {role: OK if role in allowed else REFUSED if role in ("anonymous", "public") else HIDDEN for role in ROLES}


def _authorisation_pk() -> int:
    from jiliang.authorisation.models import Authorisation

    return Authorisation.objects.order_by("pk").values_list("pk", flat=True).first()


def _plan_pk(p) -> int:
    """A building plan of the county (made on first use: the demo province has none)."""
    from jiliang.plans.models import BuildingPlan

    plan = BuildingPlan.objects.filter(region=p.county).first()
    if plan is None:
        plan = BuildingPlan.objects.create(region=p.county, title="爬虫测试建设规划", first_year=2026, last_year=2028)
    return plan.pk


def _assessment_record(key):
    def outcomes(p):
        from jiliang.assessment.policies import policy_for
        from jiliang.policies import actor_for

        obj = p.objects[key]
        model = type(obj)
        allowed = {
            role
            for role in SIGNED_IN - {"public"}
            if policy_for(model).visible(actor_for(p.users[role]), model.objects.filter(pk=obj.pk)).exists()
        }
        return scoped(allowed)

    return outcomes


def _is_institution(organisation) -> bool:
    from jiliang.institutions.policies import is_institution

    return is_institution(type(organisation).objects.filter(pk=organisation.pk))


def outcomes_of(name: str, province) -> dict:
    outcomes = {**PAGES, **NAV_ONLY}[name][1]
    return outcomes(province) if callable(outcomes) else outcomes


# url name -> (path kwargs from the province, outcome per role)
PAGES = {
    # The registry: open to everyone.
    "registry:home": (None, everyone()),
    "registry:regions": (None, everyone()),
    "registry:region": (lambda p: {"code": p.county.code}, everyone()),
    "registry:organisations": (None, everyone()),
    "registry:organisation": (lambda p: {"pk": p.institution.pk}, everyone()),
    "registry:specifications": (None, everyone()),
    "registry:specification": (lambda p: {"pk": p.instrument.catalog_item.regulation_id}, everyone()),
    "registry:catalog-items": (None, everyone()),
    "registry:catalog-item": (lambda p: {"code": p.instrument.catalog_item.code}, everyone()),
    "registry:type-approvals": (None, everyone()),
    "registry:primary-standards": (None, everyone()),
    "registry:primary-standard": (lambda p: {"pk": p.objects["primary_standard"].pk}, everyone()),
    "registry:standards": (None, everyone()),
    "registry:standard": (lambda p: {"pk": p.standard.pk}, everyone()),
    "registry:reference-materials": (None, everyone()),
    "registry:reference-material": (lambda p: {"pk": p.objects["reference_material"].pk}, everyone()),
    # Instruments and events are not public (their policies): as in the API, a visitor signs
    # in, and a role sees the rows of its scope only.
    "registry:instruments": (None, only(SIGNED_IN - {"public"})),
    "registry:instrument": (
        lambda p: {"pk": p.instrument.pk},
        scoped({"county_admin", "auditor", "enterprise_user", "superuser"}),
    ),
    "registry:events": (None, only(SIGNED_IN - {"public"})),
    "registry:event": (
        lambda p: {"pk": p.event.pk},
        lambda p: scoped(
            {"county_admin", "auditor", "enterprise_user", "superuser"}
            | ({"institution_staff"} if p.event.performer_id == p.institution.pk else set())
        ),
    ),
    # Signing in and the dashboards.
    "accounts:login": (None, only({"anonymous"}, otherwise=REDIRECT)),
    "accounts:logout": (None, everyone()),
    "console:dashboard": (None, only(DASHBOARD_ROLES, public=REDIRECT)),
    "console:due": (None, only(SUPERVISORS | {"enterprise_user"})),
    # Certificates (a published one).
    "certificates:check": (None, everyone()),
    "certificates:certificate": (lambda p: {"number": p.objects["certificate"].number}, everyone()),
    "certificates:pdf": (lambda p: {"number": p.objects["certificate"].number}, everyone()),
    "certificates:xml": (lambda p: {"number": p.objects["certificate"].number}, everyone()),
    # Comparisons (a published one).
    "comparisons:list": (None, everyone()),
    "comparisons:public": (None, everyone()),
    "comparisons:create": (None, only({"institution_staff", "superuser"})),
    "comparisons:follow-ups": (None, only(SUPERVISORS | {"institution_staff"})),
    "comparisons:detail": (lambda p: {"pk": p.objects["comparison"].pk}, everyone()),
    "comparisons:report": (lambda p: {"pk": p.objects["comparison"].pk, "stage": "draft_b"}, everyone()),
    "comparisons:submit": (lambda p: {"pk": p.objects["comparison"].pk}, post_only()),
    "comparisons:setup": (lambda p: {"pk": p.objects["comparison"].pk, "what": "schedule"}, post_only()),
    "comparisons:compute": (lambda p: {"pk": p.objects["comparison"].pk}, post_only()),
    "comparisons:step": (lambda p: {"pk": p.objects["comparison"].pk, "name": "publish"}, post_only()),
    # Net content of prepackaged goods (a published inspection of a producer in the county).
    "prepack:public-list": (None, everyone()),
    "prepack:create": (None, only({"county_admin", "institution_staff", "superuser"})),
    "prepack:detail": (lambda p: {"pk": p.objects["inspection"].pk}, everyone()),
    "prepack:measure": (lambda p: {"pk": p.objects["inspection"].pk}, only({"county_admin", "institution_staff", "superuser"})),
    "prepack:approve": (lambda p: {"pk": p.objects["inspection"].pk}, post_only()),
    "prepack:publish": (lambda p: {"pk": p.objects["inspection"].pk}, post_only()),
    "prepack:report-pdf": (lambda p: {"pk": p.objects["inspection"].pk}, everyone()),
    # Telemetry: the device upload, and the alerts of the administrator's region.
    "telemetry:home": (None, everyone()),
    "telemetry:upload": (None, post_only()),
    "telemetry:alert-list": (None, only(SUPERVISORS)),
    "telemetry:alert-detail": (lambda p: {"pk": p.objects["alert"].pk}, only(SUPERVISORS)),
    # The public portal and the complaint queue of the county.
    "portal:home": (None, everyone()),
    "portal:search": (None, everyone()),
    "portal:standard": (lambda p: {"pk": p.standard.pk}, everyone()),
    "portal:complaint-new": (None, everyone()),
    "portal:complaint-status": (None, everyone()),
    "portal:complaints": (None, only(SUPERVISORS)),
    "portal:complaint": (lambda p: {"reference": p.objects["complaint"].reference}, only(SUPERVISORS)),
    "portal:complaint-handle": (lambda p: {"reference": p.objects["complaint"].reference}, post_only()),
    "portal:complaint-photo": (
        lambda p: {"reference": p.objects["complaint"].reference, "photo_id": p.objects["photo"].pk},
        only(SUPERVISORS),
    ),
    # The uncertainty calculator (public): the page, a row of its form (htmx), the download (POST).
    "calculations:uncertainty": (None, everyone()),
    "calculations:uncertainty-row": (None, everyone()),
    "calculations:uncertainty-download": (None, post_only()),
    # Mandatory verification: each role's page (a registration of the enterprise, approved by
    # the county; a verification record of the institution).
    "verification:home": (None, only(set(), public=REFUSED, **{r: REDIRECT for r in DASHBOARD_ROLES})),
    "verification:enterprise": (None, only({"enterprise_user"})),
    "verification:register": (None, post_only()),
    "verification:register-new": (None, post_only()),
    "verification:import": (None, post_only()),
    "verification:import-template": (None, only({"enterprise_user"})),
    "verification:institution": (None, only({"institution_staff"})),
    "verification:record-create": (None, post_only()),
    "verification:issue-dcc": (lambda p: {"pk": p.objects["record"].pk}, post_only()),
    # Impact and recall: the administrations, auditors and the standards' holders.
    "traceability:recall": (None, only(SUPERVISORS | {"institution_staff"})),
    "verification:record": (
        lambda p: {"pk": p.objects["record"].pk},
        lambda p: scoped(
            {"institution_staff", "auditor", "superuser"}
            | ({"county_admin"} if p.objects["record"].event.instrument.region.code.startswith(p.county.code) else set())
            | ({"enterprise_user"} if p.objects["record"].event.instrument.owner_id == p.enterprise.pk else set())
        ),
    ),
    "verification:registration": (
        lambda p: {"pk": p.objects["registration"].pk},
        lambda p: scoped(
            {"enterprise_user", "county_admin", "auditor", "superuser"}
            | ({"institution_staff"} if p.objects["registration"].assigned_institution_id == p.institution.pk else set())
        ),
    ),
    "verification:administrator": (None, only(SUPERVISORS)),
    "verification:review": (lambda p: {"pk": p.objects["registration"].pk}, post_only()),
    "verification:reassign": (lambda p: {"pk": p.objects["registration"].pk}, post_only()),
    # The authorisation register: public, its acts posted by the issuing administration.
    "authorisation:list": (None, everyone()),
    "authorisation:detail": (lambda p: {"pk": _authorisation_pk()}, everyone()),
    "authorisation:act": (lambda p: {"pk": _authorisation_pk(), "action": "revoke"}, post_only()),
    # Measurement-standard assessment (jiliang.assessment): the parties' files; the certificate is public.
    "energy:overview": (None, only(SUPERVISORS)),
    "energy:overview-xlsx": (None, only(SUPERVISORS)),
    "energy:mine": (None, only({"enterprise_user"})),
    "energy:unit": (lambda p: {"pk": p.objects["energy_unit"].pk}, scoped(SUPERVISORS | {"enterprise_user"})),
    "energy:review": (lambda p: {"pk": p.objects["energy_review"].pk}, scoped(SUPERVISORS | {"enterprise_user"})),
    "energy:review-xlsx": (lambda p: {"pk": p.objects["energy_review"].pk}, scoped(SUPERVISORS | {"enterprise_user"})),
    "energy:review-pdf": (lambda p: {"pk": p.objects["energy_review"].pk}, scoped(SUPERVISORS | {"enterprise_user"})),
    "energy:review-open": (lambda p: {"pk": p.objects["energy_unit"].pk}, post_only()),
    "energy:review-record": (lambda p: {"pk": p.objects["energy_review"].pk}, post_only()),
    "energy:review-item": (lambda p: {"pk": p.objects["energy_review"].pk, "code": "4.1"}, post_only()),
    "energy:review-rectification": (lambda p: {"pk": p.objects["energy_review"].pk}, post_only()),
    "energy:review-decide": (lambda p: {"pk": p.objects["energy_review"].pk}, post_only()),
    "energy:finding-rectify": (lambda p: {"pk": 1}, post_only()),
    # Institutions' capability and supervision (jiliang.institutions): the bureaus over the
    # institution's region; an institution's staff its own page only.
    "institutions:list": (None, only(SUPERVISORS)),
    "institutions:people": (None, only(SUPERVISORS)),
    "institutions:mine": (None, lambda p: only({"institution_staff"} if _is_institution(p.institution) else set())),
    "institutions:detail": (lambda p: {"pk": p.objects["gap_institution"].pk}, scoped(SUPERVISORS)),
    "institutions:visit-record": (lambda p: {"pk": p.objects["gap_institution"].pk}, post_only()),
    "institutions:declare": (lambda p: {"pk": p.objects["gap_institution"].pk}, post_only()),
    "institutions:evaluate": (lambda p: {"pk": p.objects["gap_institution"].pk}, post_only()),
    "institutions:visit-close": (lambda p: {"pk": 1}, post_only()),
    "institutions:finding-rectified": (lambda p: {"pk": 1}, post_only()),
    "intervals:families": (None, only(SUPERVISORS | {"institution_staff"})),
    "intervals:family": (lambda p: {"code": p.instrument.catalog_item.code}, only(SUPERVISORS | {"institution_staff"})),
    "intervals:chart": (lambda p: {"code": p.instrument.catalog_item.code}, only(SUPERVISORS | {"institution_staff"})),
    # The federation's national pages (jiliang.federation): the summary and recalls for
    # supervisors, lag and health for the nation, every province's comparison results public.
    "federation:overview": (None, only(SUPERVISORS)),
    "federation:recalls": (None, only(SUPERVISORS)),
    "federation:status": (None, only({"superuser"})),
    "federation:comparisons": (None, everyone()),
    # Supply–demand matching: the enterprise's need, sent to the institution.
    "matching:home": (None, only(DASHBOARD_ROLES)),
    "matching:post": (None, post_only()),
    "matching:terms": (None, post_only()),
    "matching:read": (None, post_only()),
    "matching:need": (lambda p: {"pk": _matching_request(p).need_id}, only(DASHBOARD_ROLES)),
    "matching:pick": (lambda p: {"pk": _matching_request(p).need_id}, post_only()),
    "matching:withdraw": (lambda p: {"pk": _matching_request(p).need_id}, post_only()),
    "matching:request": (lambda p: {"pk": _matching_request(p).pk}, only(DASHBOARD_ROLES)),
    "matching:act": (lambda p: {"pk": _matching_request(p).pk}, post_only()),
    "plans:list": (None, only(SUPERVISORS)),
    "plans:create": (None, post_only()),
    "plans:plan": (lambda p: {"pk": _plan_pk(p)}, only(SUPERVISORS)),
    "plans:plan-act": (lambda p: {"pk": _plan_pk(p)}, post_only()),
    "plans:plan-propose": (lambda p: {"pk": _plan_pk(p)}, post_only()),
    "plans:entry-act": (lambda p: {"pk": 1}, post_only()),
    "plans:indicators": (None, only(SUPERVISORS)),
    "plans:trends": (None, only(SUPERVISORS)),
    "plans:indicators-xlsx": (None, only(SUPERVISORS)),
    "plans:indicators-pdf": (None, only(SUPERVISORS)),
    "plans:report": (None, post_only()),
    "plans:rows": (lambda p: {"key": "dcc_share"}, only(SUPERVISORS)),
    "assessment:home": (None, only(SIGNED_IN)),
    "assessment:new": (None, only({"institution_staff", "enterprise_user"})),
    "assessment:register": (None, only({"county_admin", "superuser"})),
    "assessment:filings": (None, only(SIGNED_IN)),
    "assessment:filing": (lambda p: {"pk": p.objects["assessment_filing"].pk}, _assessment_record("assessment_filing")),
    "assessment:filing-act": (lambda p: {"pk": p.objects["assessment_filing"].pk, "action": "approve"}, post_only()),
    "assessment:finding-act": (lambda p: {"pk": p.objects["assessment_finding"].pk, "action": "close"}, post_only()),
    "assessment:document": (lambda p: {"pk": p.objects["assessment_document"].pk}, _assessment_record("assessment_waiting")),
    "assessment:certificate": (lambda p: {"number": p.objects["assessment_certificate"].number}, everyone()),
    "assessment:certificate-xml": (lambda p: {"number": p.objects["assessment_certificate"].number}, everyone()),
    "assessment:detail": (lambda p: {"pk": p.objects["assessment_waiting"].pk}, _assessment_record("assessment_waiting")),
    "assessment:act": (lambda p: {"pk": p.objects["assessment_waiting"].pk, "action": "accept"}, post_only()),
    "verification:overdue": (None, only(SUPERVISORS)),
    "verification:escalate": (None, post_only()),
    "verification:coverage": (None, only(SUPERVISORS)),
    "verification:coverage-history": (None, only(SUPERVISORS)),
    "verification:coverage-xlsx": (None, only(SUPERVISORS)),
    # Stability and in-service checks: the holder's staff and the bureaus over its region.
    "checks:standard": (lambda p: {"pk": p.standard.pk}, lambda p: _checks_outcomes(p)),
    "checks:chart-svg": (lambda p: {"pk": _check_plan(p).pk}, lambda p: _checks_outcomes(p)),
    "checks:chart-png": (lambda p: {"pk": _check_plan(p).pk}, lambda p: _checks_outcomes(p)),
    "checks:record": (lambda p: {"pk": _check_plan(p).pk}, post_only()),
    "checks:alerts": (None, only(SUPERVISORS | {"institution_staff"})),
    "checks:answer": (lambda p: {"pk": 1}, post_only()),
    # Enforcement cases: the county's administrators work them, the auditor reads, the party
    # reads its own from the notice on; the published penalties are everyone's.
    "cases:list": (None, only(SUPERVISORS | {"institution_staff", "enterprise_user"})),
    "cases:open": (None, post_only()),
    "cases:penalties": (None, everyone()),
    "cases:penalty": (lambda p: {"number": p.objects["case"].number}, everyone()),
    "cases:detail": (lambda p: {"pk": p.objects["case"].pk}, scoped({"county_admin", "auditor", "enterprise_user", "superuser"})),
    "cases:act": (lambda p: {"pk": p.objects["case"].pk}, post_only()),
    "cases:evidence": (lambda p: {"pk": p.objects["case"].pk}, post_only()),
    "cases:evidence-file": (
        lambda p: {"pk": p.objects["case"].pk, "evidence_id": p.objects["case_file"].pk},
        scoped({"county_admin", "auditor", "superuser"}),
    ),
    # Random inspections: the bureau's dashboard, the officer's day (the county administrator is
    # on the officers' list), published draws and results for everyone.
    "inspections:dashboard": (None, only(SUPERVISORS)),
    "inspections:today": (None, only({"county_admin"})),
    "inspections:inspection": (lambda p: {"pk": p.objects["field_inspection"].pk}, everyone()),
    "inspections:record": (lambda p: {"pk": p.objects["field_inspection"].pk}, post_only()),
    "inspections:sign": (lambda p: {"pk": p.objects["field_inspection"].pk}, post_only()),
    "inspections:publish": (lambda p: {"pk": p.objects["field_inspection"].pk}, post_only()),
    "inspections:photo": (
        lambda p: {"pk": p.objects["field_inspection"].pk, "photo_id": 999999},
        only(set(), HIDDEN, anonymous=REFUSED),
    ),
    "inspections:follow-up": (lambda p: {"pk": 1}, post_only()),
    "inspections:draws": (None, everyone()),
    "inspections:draw": (lambda p: {"pk": p.objects["draw"].pk}, everyone()),
    "inspections:draw-json": (lambda p: {"pk": p.objects["draw"].pk}, everyone()),
    "inspections:perform": (lambda p: {"pk": p.objects["draw"].pk}, post_only()),
    # Credit records: the organisation itself and the bureaus over its region; the rules are published.
    "credit:home": (None, only(SUPERVISORS | {"institution_staff", "enterprise_user"})),
    "credit:rules": (None, everyone()),
    "credit:organisation": (lambda p: {"pk": p.enterprise.pk}, scoped(SUPERVISORS | {"enterprise_user"})),
    "credit:file": (lambda p: {"pk": p.enterprise.pk, "what": "objection"}, post_only()),
    "credit:decide": (lambda p: {"what": "objection", "pk": 1}, post_only()),
    # The witness log of ledger checkpoints (jiliang.witness): public, a transparency log.
    "witness:log": (None, everyone()),
    # Standard reference data and CMCs (issue 25): published rows are everyone's.
    "refdata:catalogue": (None, everyone()),
    "refdata:resolve": (None, everyone(HIDDEN)),  # no ?id=: cites nothing
    "refdata:version": (lambda p: {"identifier": _srd_version(p)}, everyone()),
    "refdata:act": (lambda p: {"identifier": _srd_version(p), "action": "approve"}, post_only()),
    "cmc:home": (None, everyone()),
    "cmc:claim": (lambda p: {"pk": _cmc_claim(p)}, everyone()),
    "cmc:support": (lambda p: {"pk": 1}, post_only()),
    "cmc:act": (lambda p: {"pk": 1, "action": "approve"}, post_only()),
    "cmc:comparison": (lambda p: {"code": _kcdb_comparison(p)}, everyone()),
}


def _srd_version(p) -> str:
    """An approved reference data version (the demo's CODATA subset), planted once."""
    from jiliang.policies import NATIONAL, Actor
    from jiliang.refdata import services
    from jiliang.refdata.demo import DATA
    from jiliang.refdata.models import DatasetVersion

    version = DatasetVersion.objects.filter(status="approved").first()
    if version is None:
        version = services.import_version(Actor(NATIONAL), DATA / "codata-2018.yaml", p.institution)
        services.submit(Actor(NATIONAL), version)
        version = services.approve(Actor(NATIONAL), version)
    return version.identifier


def _cmc_claim(p) -> int:
    """An approved CMC claim on the province's standard (written directly: the review is tested in tests/cmc)."""
    from jiliang.cmc.models import Claim

    capability = p.standard.capabilities.first()
    claim = Claim.objects.filter(capability=capability).first() or Claim.objects.create(
        capability=capability,
        quantity="Frequency",
        instrument=p.standard.name,
        range_min=capability.range_min,
        range_max=capability.range_max,
        unit=capability.unit,
        b=1e-6,
        status="approved",
    )
    return claim.pk


def _kcdb_comparison(p) -> str:
    from jiliang.cmc import services
    from jiliang.cmc.demo import DATA
    from jiliang.policies import NATIONAL, Actor

    return services.import_kcdb_comparison(Actor(NATIONAL), DATA / "kcdb-kc-ccpr-k3-2014.txt").code


def _checks_outcomes(p) -> dict:
    """The checks of the province's standard: its holder's staff, the nation, the auditor of the
    province and the county's administration when the holder is in the county."""
    county = p.standard.holder.region.code.startswith(p.county.code)
    return only(
        {"institution_staff", "auditor", "superuser"} | ({"county_admin"} if county else set()),
        county_admin=OK if county else HIDDEN,
    )


def _matching_request(p):
    """A need of the enterprise (open: the province's institution sees it too) with a request
    addressed to the institution."""
    import datetime as dt

    from jiliang.matching import services as matching
    from jiliang.matching.models import Request
    from jiliang.registry.models import Quantity

    found = Request.objects.filter(need__poster=p.enterprise, provider=p.institution).first()
    if found is None:
        need = matching.post_need(
            p.users["enterprise_user"],
            {
                "title": "压力表送检",
                "quantity": Quantity.objects.order_by("pk").first().pk,
                "range_min": 0,
                "range_max": 1,
                "requirement": 0,
                "requirement_value": 0.01,
                "region": p.enterprise.region.code,
                "deadline": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
            },
        )
        found = Request.objects.create(need=need, provider=p.institution, fit={})
    return found


def _check_plan(p):
    """A check plan of the province's standard with two checks (so it has a chart)."""
    import datetime as dt

    from jiliang.checks import services as checks

    plan = p.standard.check_plans.first()
    if plan is None:
        staff = p.users["institution_staff"]
        plan = checks.create_plan(staff, p.standard, check_item="核查点", check_standard="核查标准")
        today = dt.date.today()
        for k, value in enumerate((1.0, 1.1)):
            checks.record_check(staff, plan, today - dt.timedelta(days=2 - k), [value])
    return plan


# Linked from the navigation but crawled by their own tests (excluded prefixes above).
NAV_ONLY = {
    "api-docs": (None, everyone()),
    "admin:index": (None, only({"superuser"})),  # the admin is for staff users
}


def walk(resolver=None, prefix: str = "", namespace: str = ""):
    """(route, "namespace:name") of every URL pattern, through every include."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
            yield from walk(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, ":".join(filter(None, [namespace, pattern.name or ""]))


def pages() -> list[tuple[str, str]]:
    return [(route, name) for route, name in walk() if not route.startswith(EXCLUDED_PREFIXES)]


def client_for(province, role: str) -> Client:
    client = Client(raise_request_exception=False)  # a server error is a 500 answer, as a visitor would get
    if role != "anonymous":
        client.force_login(province.users[role])
    return client


def test_every_page_of_the_url_configuration_is_classified():
    found = {name for _, name in pages()}
    unnamed = [route for route, name in pages() if not name or name.endswith(":")]
    assert not unnamed, f"pages without a URL name (the crawler and the navigation need one): {unnamed}"
    assert not found - PAGES.keys(), (
        f"pages the crawler does not know: add them to PAGES with each role's outcome: {sorted(found - PAGES.keys())}"
    )
    assert not PAGES.keys() - found, f"PAGES lists pages that are not in the URL configuration: {sorted(PAGES.keys() - found)}"
    # The crawl covers the site: registry, dashboards, portal, and the other apps' pages.
    assert len(found) >= 50


def _check(response, outcome: str, role: str, url: str):
    status = response.status_code
    where = f"{role} GET {url}: HTTP {status}"
    assert status < 500, where
    login = resolve_url(settings.LOGIN_URL)
    location = urlparse(response.get("Location", "")).path
    if outcome == OK:
        assert status == 200, where
    elif outcome == REFUSED:
        if role == "anonymous":
            assert status == 302 and location == login, f"{where}, expected a login redirect (to {location or 'nowhere'})"
        else:
            assert status == 403, f"{where}, expected 403"
    elif outcome == POST_ONLY:
        assert status == 405 or (role == "anonymous" and status == 302 and location == login), where
    elif outcome == HIDDEN:
        assert status == 404, f"{where}, expected 404 (a record outside the role's scope)"
    elif outcome == REDIRECT:
        assert status == 302 and location and location != login, f"{where}, expected a redirect onwards (to {location})"
    else:  # pragma: no cover
        raise AssertionError(outcome)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_its_access_says(province, role):
    client = client_for(province, role)
    checked = 0
    for _route, name in pages():
        kwargs_of = PAGES[name][0]
        url = reverse(name, kwargs=kwargs_of(province) if kwargs_of else None)
        _check(client.get(url), outcomes_of(name, province)[role], role, url)
        checked += 1
    assert checked == len(PAGES)


def _nav_links(content: bytes) -> list[str]:
    tree = html.fromstring(content)
    return [a.get("href") for a in tree.xpath("//nav[contains(@class,'site-nav')]//a")]


def _name_of(path: str) -> str:
    from django.urls import resolve

    match = resolve(urlparse(path).path)
    return match.view_name


@pytest.mark.parametrize("role", ROLES)
def test_the_navigation_links_only_pages_the_role_may_use(province, role):
    client = client_for(province, role)
    home = client.get(reverse("registry:home"))
    assert home.status_code == 200
    links = _nav_links(home.content)
    assert links, f"{role}: the home page has no navigation"
    names = {_name_of(href) for href in links}
    known = {**PAGES, **NAV_ONLY}
    for href in links:
        name = _name_of(href)
        assert name in known, f"{role}: the navigation links {href} ({name}), a page the crawler does not know"
        outcome = outcomes_of(name, province)[role]
        assert outcome == OK, f"{role}: the navigation links {href} ({name}), which is {outcome} for it"
        response = client.get(href)
        assert response.status_code == 200, f"{role}: navigation link {href} answered {response.status_code}"
    # Each role sees its own work, and nothing of the others'.
    assert ("console:dashboard" in names) == (role in DASHBOARD_ROLES)
    assert ("console:due" in names) == (role in SUPERVISORS | {"enterprise_user"})
    assert ("portal:complaints" in names) == (role in SUPERVISORS)
    assert ("prepack:create" in names) == (role in {"county_admin", "institution_staff", "superuser"})
    assert ("admin:index" in names) == (role == "superuser")  # the admin only for staff users
    assert {"registry:standards", "certificates:check", "portal:home"} <= names  # everyone's
    assert ("registry:instruments" in names) == (role not in ("anonymous", "public"))


def test_the_header_offers_signing_in_or_out(province):
    anonymous = client_for(province, "anonymous").get(reverse("registry:home"))
    tree = html.fromstring(anonymous.content)
    assert tree.xpath("//div[@class='user-menu']//a[starts-with(@href, '/accounts/login/')]")
    signed_in = client_for(province, "enterprise_user").get(reverse("registry:home"))
    tree = html.fromstring(signed_in.content)
    assert tree.xpath(f"//form[@action='{reverse('accounts:logout')}' and @method='post']")
    assert province.users["enterprise_user"].username in signed_in.content.decode()


# ---------------------------------------------------------------------------- links


LINKS_PER_PAGE_NAME = 2  # distinct URLs followed per URL name and role (the pattern is what is checked)


def _links(content: bytes) -> list[str]:
    try:
        tree = html.fromstring(content)
    except Exception:  # not an HTML page (a PDF, an XML file)
        return []
    return [a.get("href") for a in tree.xpath("//a[@href]")]


def _followable(href: str) -> str | None:
    from django.urls import Resolver404, resolve

    parsed = urlparse(href)
    if (
        parsed.scheme
        or parsed.netloc
        or not parsed.path.startswith("/")
        or parsed.path.startswith(("/api/", "/admin/", "/static/", "/media/", "/i18n/"))
    ):
        return None
    try:
        match = resolve(parsed.path)
    except Resolver404:
        return None
    return match.view_name


_WALKS: dict = {}


def walk_site(province, role: str):
    """Every page the role may open and the pages their links lead to (a few per URL name),
    once per role and province: (refused links, {url: HTML of each page that rendered})."""
    key = (id(province), role)
    if key in _WALKS:
        return _WALKS[key]
    client = client_for(province, role)
    login = resolve_url(settings.LOGIN_URL)
    followed: dict[str, int] = {}
    seen: set[str] = set()
    refused, rendered = [], {}
    queue = []
    for _route, name in pages():
        if outcomes_of(name, province)[role] != OK:
            continue
        kwargs_of = PAGES[name][0]
        queue.append((reverse(name, kwargs=kwargs_of(province) if kwargs_of else None), "(start)"))
    while queue:
        url, source = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        location = urlparse(response.get("Location", "")).path
        if response.status_code == 403 or (response.status_code == 302 and location == login):
            refused.append(f"{url} ({response.status_code}), linked from {source}")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        rendered[url] = response.content
        for href in _links(response.content):
            name = _followable(href)
            if name is None or name.startswith(("accounts:logout",)) or href.split("#")[0] in seen:
                continue
            if followed.get(name, 0) >= LINKS_PER_PAGE_NAME:
                continue
            followed[name] = followed.get(name, 0) + 1
            queue.append((href.split("#")[0], url))
    _WALKS[key] = (refused, rendered)
    return refused, rendered


@pytest.mark.parametrize("role", ROLES)
def test_no_page_links_a_page_the_role_is_refused(province, role):
    """Walk every page the role may open and follow the links on it: none answers 403, nor
    sends a signed-out visitor to sign in (a link is shown only where the action is allowed)."""
    refused, rendered = walk_site(province, role)
    assert rendered
    assert not refused, f"{role} is shown links to pages that refuse it:\n" + "\n".join(refused)


# ---------------------------------------------------------------------------- language

# What may stay in Latin letters on a Chinese page (issue #23 item 8): proper names, units
# and the names of formats and standards. Codes (JJG 596-2012, JL-V2026-…) hold digits or
# are upper-case acronyms and pass on their own; text marked lang="en" (an English name
# field) and code, pre and .mono elements are not read.
LATIN_ALLOWED = {
    "Jiliang", "English", "PAdES", "Cox", "DerSimonian", "Laird", "Paule", "Mandel", "Monte", "Carlo", "WebP",
    "kWh", "kPa", "MPa", "mGy", "mSv", "mm", "km", "kg", "mg", "Hz", "nm", "Bq", "kBq", "MBq", "GBq", "mL", "dB", "mol",
    "rel", "ref", "eff", "sqrt", "exp",
    "log", "sin", "cos", "tan", "pi", "json", "yaml", "web-superuser", "web-auditor", "web-public",
    "web-county-admin", "web-enterprise", "web-staff",
}  # fmt: skip
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]+[A-Za-z]")


def latin_words(content: bytes) -> list[str]:
    """Latin-letter words a reader sees on the page that are neither codes nor allowed names."""
    tree = html.fromstring(content)
    for skipped in tree.xpath(
        "//script|//style|//code|//pre|//svg|//textarea|//*[@lang='en']|//*[contains(concat(' ', @class, ' '), ' mono ')]"
    ):
        skipped.drop_tree()
    texts = tree.xpath("//body//text()|//body//@title|//body//@placeholder|//body//@aria-label|//title//text()")
    words = []
    for text in texts:
        for word in LATIN_WORD.findall(text):
            if word in LATIN_ALLOWED or word.isupper() or any(c.isdigit() for c in word):
                continue
            words.append(f"{word!r} in {text.strip()[:80]!r}")
    return words


@pytest.mark.parametrize("role", ROLES)
def test_chinese_pages_show_no_english(province, role):
    _refused, rendered = walk_site(province, role)
    english = {url: words for url, content in rendered.items() if (words := latin_words(content))}
    assert not english, f"{role} sees English on Chinese pages:\n" + "\n".join(f"{u}: {w[:3]}" for u, w in english.items())
