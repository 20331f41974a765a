"""The pages of the workflow: each role's forms drive the same use cases as the API."""

import pytest

from jiliang.comparisons.models import Comparison, Submission
from jiliang.core.comparison import compute_document

from .conftest import RESULTS, setup_comparison

pytestmark = pytest.mark.django_db


def test_workflow_through_the_pages(world):
    comparison, measurand = setup_comparison(world, submit=("P", "A", "C"))
    pk = comparison.pk
    b = world.client("staff_b")
    page = b.get(f"/comparisons/{pk}/").content.decode()
    assert 'name="value"' in page  # the participant's submission form
    value, u, dof = RESULTS["B"]
    b.post(
        f"/comparisons/{pk}/submit/",
        {
            "measurand": measurand.pk,
            "value": repr(value),
            "u": repr(u),
            "dof": str(dof),
            "budget": '[{"name": "repeatability", "u": 1e-5}]',
        },
    )
    assert Submission.objects.get(participant__label="LAB-B").content.value == value
    bad = b.post(f"/comparisons/{pk}/submit/", {"measurand": measurand.pk, "value": "1000", "u": "-1"}, follow=True)
    assert "u：须为有限正数" in bad.content.decode()
    assert Submission.objects.get(participant__label="LAB-B").revision == 1

    a = world.client("staff_a")
    a.post(f"/comparisons/{pk}/step/close/")  # not the pilot: refused
    assert Comparison.objects.get(pk=pk).status == "open"
    pilot = world.client("staff_p")
    pilot.post(f"/comparisons/{pk}/step/close/")
    pilot.post(f"/comparisons/{pk}/compute/", {"estimator": "cox-a", "sigma_pt": ""})
    measurand.refresh_from_db()
    rows = [{"lab": f"LAB-{k}", "value": v, "u": uu, "dof": d, "in_reference": 1} for k, (v, uu, d) in RESULTS.items()]
    assert measurand.result == compute_document(rows, "cox-a")
    pilot.post(f"/comparisons/{pk}/reports/draft_a/", {"introduction": "比对引言", "discussion": "", "conclusions": "结论A"})
    pilot.post(f"/comparisons/{pk}/reports/draft_b/", {"introduction": "比对引言", "discussion": "", "conclusions": "结论B"})
    admin = world.client("admin")
    assert "step/approve/" in admin.get(f"/comparisons/{pk}/").content.decode()
    admin.post(f"/comparisons/{pk}/step/approve/")
    admin.post(f"/comparisons/{pk}/step/publish/")
    assert Comparison.objects.get(pk=pk).status == "published"
    public = world.client("anonymous").get(f"/comparisons/{pk}/").content.decode()
    assert "结论B" not in public and "draft_b" in public  # the report is linked, not inlined
    report = world.client("anonymous").get(f"/comparisons/{pk}/reports/draft_b/").content.decode()
    assert "结论B" in report and "<svg" in report


def test_anonymous_cannot_post(world):
    comparison, _ = setup_comparison(world)
    response = world.client("anonymous").post(f"/comparisons/{comparison.pk}/step/close/")
    assert response.status_code == 302 and "login" in response["Location"]
    assert Comparison.objects.get(pk=comparison.pk).status == "open"


def test_setting_up_through_the_pages(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jiliang.comparisons import services

    from .conftest import deadline

    comparison = services.create_comparison(
        world.users["admin"],
        code="ZJ-PAGE-1",
        title="页面建立的比对",
        kind="proficiency",
        pilot=world.orgs["P"],
        administrator_region=world.regions["330000"],
        submission_deadline=deadline(),
    )
    pilot = world.client("staff_p")
    pk = comparison.pk
    assert 'name="credit_code"' in pilot.get(f"/comparisons/{pk}/").content.decode()
    pilot.post(f"/comparisons/{pk}/setup/measurand/", {"name": "1 kg", "quantity": world.quantity.pk, "nominal_value": "1000"})
    pilot.post(
        f"/comparisons/{pk}/setup/participant/",
        {
            "credit_code": world.orgs["A"].credit_code,
            "certificate_number": world.standards["A"].certificate_number,
            "label": "LAB-A",
        },
    )
    refused = pilot.post(
        f"/comparisons/{pk}/setup/participant/",
        {"credit_code": world.orgs["B"].credit_code, "certificate_number": world.standards["A"].certificate_number},
        follow=True,
    )
    assert "standard：计量标准" in refused.content.decode() and "的持有单位是" in refused.content.decode()
    participant = comparison.participants.get()
    pilot.post(
        f"/comparisons/{pk}/setup/movement/",
        {"participant": participant.pk, "received_on": "2026-03-01", "condition_on_arrival": "完好"},
    )
    pilot.post(f"/comparisons/{pk}/setup/protocol/", {"file": SimpleUploadedFile("protocol.pdf", b"%PDF protocol")})
    comparison.refresh_from_db()
    assert [m.name for m in comparison.measurands.all()] == ["1 kg"]
    assert (participant.label, participant.standard_id) == ("LAB-A", world.standards["A"].pk)
    assert comparison.circulation.get().condition_on_arrival == "完好" and comparison.protocol_name == "protocol.pdf"
    # A participant cannot set up the comparison.
    world.client("staff_a").post(f"/comparisons/{pk}/setup/measurand/", {"name": "2 kg", "quantity": world.quantity.pk})
    assert comparison.measurands.count() == 1


def test_starting_a_comparison_from_the_form(world):
    """发起比对: the pilot's staff start one for their province; a province's administration
    may too, a city's staff may not choose another province, and the link shows only to those
    who may."""
    staff = world.client("staff_a")  # 杭州市计量检定测试院
    listing = staff.get("/comparisons/").content.decode()
    assert 'href="/comparisons/new/"' in listing
    form = staff.get("/comparisons/new/").content.decode()
    assert 'value="330000"' in form and 'value="110000"' not in form  # its own province organises
    refused = staff.post(
        "/comparisons/new/",
        {"code": "ZJ-NEW-1", "title": "砝码比对", "kind": "local", "pilot": world.orgs["A"].pk, "administrator_region": "110000"},
    )
    assert refused.status_code == 400 and "administrator_region" in refused.content.decode()
    assert not Comparison.objects.filter(code="ZJ-NEW-1").exists()
    made = staff.post(
        "/comparisons/new/",
        {
            "code": "ZJ-NEW-1",
            "title": "砝码比对",
            "kind": "local",
            "pilot": world.orgs["A"].pk,
            "administrator_region": "330000",
            "submission_deadline": "2099-01-31",
        },
    )
    comparison = Comparison.objects.get(code="ZJ-NEW-1")
    assert made.status_code == 302 and made["Location"] == f"/comparisons/{comparison.pk}/"
    assert (comparison.status, comparison.pilot, comparison.administrator_region.code) == ("draft", world.orgs["A"], "330000")
    # A repeated code is refused, with its field.
    again = staff.post(
        "/comparisons/new/",
        {
            "code": "ZJ-NEW-1",
            "title": "x",
            "kind": "local",
            "pilot": world.orgs["A"].pk,
            "administrator_region": "330000",
            "submission_deadline": "2099-01-31",
        },
    )
    assert again.status_code == 400 and Comparison.objects.filter(code="ZJ-NEW-1").count() == 1
    # The province's administration chooses the pilot among its institutes.
    admin_form = world.client("admin").get("/comparisons/new/").content.decode()
    assert f'value="{world.orgs["C"].pk}"' in admin_form
    for who in ("auditor", "public"):
        client = world.client(who)
        assert client.get("/comparisons/new/").status_code == 403
        assert 'href="/comparisons/new/"' not in client.get("/comparisons/").content.decode()
