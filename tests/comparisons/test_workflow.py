"""The comparison workflow end to end through the API, and who may do each step."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiliang.comparisons.models import Comparison, FollowUpAction, Submission
from jiliang.core.comparison import compute_document

from .conftest import RESULTS, deadline, setup_comparison

pytestmark = pytest.mark.django_db


def ok(response, code=200):
    assert response.status_code == code, response.content.decode()[:500]
    return response.json() if response["Content-Type"].startswith("application/json") else response


def test_full_workflow_end_to_end(world):
    admin, pilot = world.client("admin"), world.client("staff_p")
    created = ok(
        admin.post(
            "/api/comparisons/",
            {
                "code": "ZJ-M-2026-01",
                "title": "1 kg 砝码质量比对",
                "kind": "regional",
                "pilot": world.orgs["P"].pk,
                "administrator_region": "330000",
                "submission_deadline": deadline().isoformat(),
                "registration_deadline": "2026-01-10",
                "circulation_start": "2026-02-01",
                "circulation_end": "2026-05-01",
            },
            format="json",
        ),
        201,
    )
    pk = created["id"]
    assert created["status"] == "draft"
    m = ok(
        pilot.post(
            f"/api/comparisons/{pk}/measurands/",
            {"name": "1 kg", "quantity": world.quantity.pk, "nominal_value": 1000},
            format="json",
        ),
        201,
    )
    assert m["unit"] == "g"  # taken from the quantity
    for key in ("P", "A", "B", "C"):
        ok(
            pilot.post(
                f"/api/comparisons/{pk}/participants/",
                {"institution": world.orgs[key].pk, "standard": world.standards[key].pk, "label": f"LAB-{key}"},
                format="json",
            ),
            201,
        )
    # A standard held by another institution is refused, naming the field.
    refused = pilot.post(
        f"/api/comparisons/{pk}/participants/",
        {"institution": world.orgs["B"].pk, "standard": world.standards["A"].pk, "label": "LAB-X"},
        format="json",
    )
    assert refused.status_code == 400 and "standard" in refused.json()
    protocol = SimpleUploadedFile("protocol.pdf", b"%PDF-1.4 protocol", content_type="application/pdf")
    assert ok(pilot.post(f"/api/comparisons/{pk}/protocol/", {"file": protocol}, format="multipart"))["has_protocol"] is True
    assert b"".join(world.client("staff_a").get(f"/api/comparisons/{pk}/protocol/").streaming_content) == b"%PDF-1.4 protocol"
    ok(
        pilot.post(
            f"/api/comparisons/{pk}/circulation/",
            {"holder": world.orgs["P"].pk, "received_on": "2026-02-01", "sent_on": "2026-02-20", "condition_on_arrival": "完好"},
            format="json",
        ),
        201,
    )
    ok(
        world.client("staff_a").post(
            f"/api/comparisons/{pk}/circulation/",
            {"holder": world.orgs["A"].pk, "received_on": "2026-02-22", "condition_on_arrival": "完好，包装轻微破损"},
            format="json",
        ),
        201,
    )
    assert ok(pilot.post(f"/api/comparisons/{pk}/open/"))["status"] == "open"
    measurand_id = m["id"]
    for key, (value, u, dof) in RESULTS.items():
        client = world.client(f"staff_{key.lower()}")
        if key == "A":  # a first result, then replaced before the close
            ok(
                client.post(
                    f"/api/comparisons/{pk}/submissions/", {"measurand": measurand_id, "value": value + 1, "u": u}, format="json"
                ),
                201,
            )
        if key == "B":  # the budget as an uploaded file
            payload = {
                "measurand": measurand_id,
                "value": value,
                "u": u,
                "dof": dof,
                "budget_file": SimpleUploadedFile("budget.xlsx", b"budget of B"),
                "budget": json.dumps([{"name": "mass", "u": u}]),
            }
            ok(client.post(f"/api/comparisons/{pk}/submissions/", payload, format="multipart"), 201)
        else:
            ok(
                client.post(
                    f"/api/comparisons/{pk}/submissions/",
                    {"measurand": measurand_id, "value": value, "u": u, "dof": dof, "budget": [{"name": "balance", "u": u}]},
                    format="json",
                ),
                201,
            )
    assert Submission.objects.get(participant__label="LAB-A").revision == 2
    assert ok(pilot.post(f"/api/comparisons/{pk}/close/"))["status"] == "closed"
    computed = ok(pilot.post(f"/api/comparisons/{pk}/compute/", {"estimator": "weighted-mean"}, format="json"))
    rows = [{"lab": f"LAB-{k}", "value": v, "u": u, "dof": d, "in_reference": 1} for k, (v, u, d) in RESULTS.items()]
    assert computed[0]["result"] == compute_document(rows, "weighted-mean")
    assert ok(pilot.get(f"/api/comparisons/{pk}/measurands/{measurand_id}/plot.svg"))["Content-Type"] == "image/svg+xml"
    report = ok(
        pilot.put(
            f"/api/comparisons/{pk}/reports/draft_a/", {"introduction": "引言 A", "conclusions": "LAB-C 偏离"}, format="json"
        )
    )
    assert "LAB-C 偏离" in report["html"] and "<svg" in report["html"]
    assert ok(pilot.get(f"/api/comparisons/{pk}/"))["status"] == "draft_a"
    ok(pilot.put(f"/api/comparisons/{pk}/reports/draft_b/", {"introduction": "引言 B", "conclusions": "最终结论"}, format="json"))
    assert ok(admin.post(f"/api/comparisons/{pk}/approve/"))["status"] == "approved"
    assert ok(admin.post(f"/api/comparisons/{pk}/publish/"))["status"] == "published"

    public = world.client("anonymous")
    listed = ok(public.get("/api/comparisons/public/"))["results"]
    assert [c["code"] for c in listed] == ["ZJ-M-2026-01"]
    assert listed[0]["results"][0]["result"] == compute_document(rows, "weighted-mean")
    assert [r["stage"] for r in ok(public.get(f"/api/comparisons/{pk}/reports/"))] == ["draft_b"]
    assert len(ok(public.get(f"/api/comparisons/{pk}/submissions/"))) == 4
    page = public.get(f"/comparisons/{pk}/")
    assert page.status_code == 200 and "LAB-C" in page.content.decode() and "<svg" in page.content.decode()
    assert "ZJ-M-2026-01" in public.get("/comparisons/public/").content.decode()

    # Every state change is in the audit ledger.
    from jiliang.audit.models import AuditEntry

    changes = AuditEntry.objects.filter(object_type="comparisons.comparison", action="status_change").order_by("sequence")
    assert [json.loads(e.new_values)["status"] for e in changes] == [
        "open",
        "closed",
        "computed",
        "draft_a",
        "draft_b",
        "approved",
        "published",
    ]
    submitted = AuditEntry.objects.filter(object_type="comparisons.submission")
    # Five submissions without values, then at the close one opening per submission, revealing its key.
    assert submitted.count() == 9 and all("1000.0" not in e.new_values for e in submitted)
    assert sum("seal_key" in json.loads(e.new_values) for e in submitted) == 4
    from jiliang.audit.services import verify

    report = verify()
    assert report.intact, [f.to_json() for f in report.findings]


@pytest.mark.parametrize(
    "estimator,sigma_pt", [("weighted-mean", None), ("cox-a", None), ("algorithm-a", None), ("median", 0.00005)]
)
def test_stored_results_equal_the_core(world, estimator, sigma_pt):
    comparison, measurand = setup_comparison(world, close=True)
    from jiliang.comparisons import services

    services.compute(world.users["staff_p"], comparison, estimator=estimator, sigma_pt=sigma_pt)
    measurand.refresh_from_db()
    rows = [{"lab": f"LAB-{k}", "value": v, "u": u, "dof": d, "in_reference": 1} for k, (v, u, d) in RESULTS.items()]
    assert measurand.result == compute_document(rows, estimator, sigma_pt)
    assert measurand.plot_svg.lstrip().startswith("<?xml") and "<svg" in measurand.plot_svg


def test_late_submission_refused(world):
    comparison, measurand = setup_comparison(world, submit=("P",))
    b = world.client("staff_b")
    value, u, _ = RESULTS["B"]
    Comparison.objects.filter(pk=comparison.pk).update(submission_deadline=deadline(-1))
    late = b.post(
        f"/api/comparisons/{comparison.pk}/submissions/", {"measurand": measurand.pk, "value": value, "u": u}, format="json"
    )
    assert late.status_code == 400 and "submission_deadline" in late.json()
    assert not Submission.objects.filter(participant__label="LAB-B").exists()
    # Replacing one's own result is refused after the close, too.
    Comparison.objects.filter(pk=comparison.pk).update(submission_deadline=deadline(1))
    world.client("staff_p").post(f"/api/comparisons/{comparison.pk}/close/")
    again = world.client("staff_p").post(
        f"/api/comparisons/{comparison.pk}/submissions/", {"measurand": measurand.pk, "value": 1000.0, "u": 0.0001}, format="json"
    )
    assert again.status_code == 400 and "status" in again.json()
    assert Submission.objects.get(participant__label="LAB-P").value == RESULTS["P"][0]


def test_bad_submission_names_the_field(world):
    comparison, measurand = setup_comparison(world, submit=())
    a = world.client("staff_a")
    zero_u = a.post(
        f"/api/comparisons/{comparison.pk}/submissions/", {"measurand": measurand.pk, "value": 1000.0, "u": 0}, format="json"
    )
    assert zero_u.status_code == 400 and "u" in zero_u.json()
    budget = a.post(
        f"/api/comparisons/{comparison.pk}/submissions/",
        {"measurand": measurand.pk, "value": 1000.0, "u": 1e-5, "budget": [{"u": 1}]},
        format="json",
    )
    assert budget.status_code == 400 and "budget" in budget.json()
    outsider = world.client("admin").post(
        f"/api/comparisons/{comparison.pk}/submissions/", {"measurand": measurand.pk, "value": 1000.0, "u": 1e-5}, format="json"
    )
    assert outsider.status_code == 403
    assert not Submission.objects.exists()


def test_only_the_pilot_computes_and_only_the_administrator_approves(world):
    comparison, _ = setup_comparison(world, close=True)
    url = f"/api/comparisons/{comparison.pk}"
    for who in ("staff_a", "admin"):
        assert world.client(who).post(f"{url}/compute/", {"estimator": "weighted-mean"}, format="json").status_code == 403
    assert world.client("anonymous").post(f"{url}/compute/", {"estimator": "weighted-mean"}, format="json").status_code in (
        401,
        403,
    )
    for who in ("staff_a", "admin"):
        assert world.client(who).post(f"{url}/close/").status_code == 403
    assert world.client("staff_p").post(f"{url}/compute/", {"estimator": "nonsense"}, format="json").status_code == 400
    ok(world.client("staff_p").post(f"{url}/compute/", {"estimator": "weighted-mean"}, format="json"))
    pilot = world.client("staff_p")
    ok(pilot.put(f"{url}/reports/draft_a/", {"introduction": "A"}, format="json"))
    assert world.client("staff_a").put(f"{url}/reports/draft_b/", {"introduction": "B"}, format="json").status_code == 403
    ok(pilot.put(f"{url}/reports/draft_b/", {"introduction": "B"}, format="json"))
    assert pilot.post(f"{url}/approve/").status_code == 403
    assert world.client("staff_a").post(f"{url}/approve/").status_code == 403
    assert world.client("auditor").post(f"{url}/approve/").status_code == 403  # reads, never writes
    assert world.client("beijing_admin").post(f"{url}/approve/").status_code == 404  # not even visible to it
    assert world.client("admin").post(f"{url}/publish/").status_code == 400  # not approved yet
    ok(world.client("admin").post(f"{url}/approve/"))
    assert pilot.post(f"{url}/publish/").status_code == 403
    ok(world.client("admin").post(f"{url}/publish/"))


def test_publication_exposes_results(world):
    comparison, measurand = setup_comparison(world, close=True)
    from jiliang.comparisons import services

    anonymous = world.client("anonymous")
    services.compute(world.users["staff_p"], comparison, estimator="weighted-mean")
    services.write_report(world.users["staff_p"], comparison, stage="draft_a", conclusions="草案")
    services.write_report(world.users["staff_p"], comparison, stage="draft_b", conclusions="最终")
    services.approve(world.users["admin"], comparison)
    assert ok(anonymous.get("/api/comparisons/public/"))["results"] == []
    assert anonymous.get(f"/api/comparisons/public/{comparison.pk}/").status_code == 404
    assert anonymous.get(f"/api/comparisons/{comparison.pk}/results/").status_code == 404
    assert comparison.code not in anonymous.get("/comparisons/public/").content.decode()
    services.publish(world.users["admin"], comparison)
    detail = ok(anonymous.get(f"/api/comparisons/public/{comparison.pk}/"))
    measurand.refresh_from_db()
    assert detail["results"][0]["result"] == measurand.result
    assert ok(anonymous.get(f"/api/comparisons/{comparison.pk}/results/"))[0]["result"] == measurand.result
    public_page = anonymous.get("/comparisons/public/").content.decode()
    assert comparison.code in public_page and f"{measurand.result['reference']['value']:.8g}" in public_page
    report = anonymous.get(f"/comparisons/{comparison.pk}/reports/draft_b/")
    assert report.status_code == 200 and "最终" in report.content.decode()
    assert anonymous.get(f"/comparisons/{comparison.pk}/reports/draft_a/").status_code == 404


def test_unsatisfactory_results_create_follow_up_actions(world):
    comparison, measurand = setup_comparison(world, close=True)
    from jiliang.comparisons import services

    # σ_pt = 0.00005 g: z of LAB-C ≈ 3.3 (unsatisfactory, |z| ≥ 3) and LAB-P ≈ −1.1;
    # ISO 13528:2022 §9.4.2 and §9.7.2 give the limits.
    services.compute(world.users["staff_p"], comparison, estimator="weighted-mean", sigma_pt=0.00005)
    measurand.refresh_from_db()
    by_lab = {p["lab"]: p for p in measurand.result["participants"]}
    flagged = {a.participant.label: a for a in FollowUpAction.objects.select_related("participant")}
    expected = {lab for lab, p in by_lab.items() if abs(p["En"]) > 1 or abs(p["z"]) > 2}
    assert set(flagged) == expected and "LAB-C" in expected
    action = flagged["LAB-C"]
    assert action.verdict == "unsatisfactory" and action.standard == world.standards["C"] and action.status == "open"
    assert action.due_on == timezone.localdate() + dt.timedelta(days=services.FOLLOW_UP_DAYS)
    # Recorded at the computation, shown from Draft A (a recomputation may still replace it).
    assert ok(world.client("staff_c").get("/api/comparisons/follow-ups/"))["results"] == []
    services.write_report(world.users["staff_p"], comparison, stage="draft_a", introduction="A")
    # Visible to the institution and to its region's administrator, to nobody else.
    assert [r["id"] for r in ok(world.client("staff_c").get("/api/comparisons/follow-ups/"))["results"]] == [action.pk]
    for who in ("admin", "auditor"):
        assert action.pk in [r["id"] for r in ok(world.client(who).get("/api/comparisons/follow-ups/"))["results"]]
    for who in ("staff_a", "beijing_admin", "anonymous"):
        assert action.pk not in [r["id"] for r in ok(world.client(who).get("/api/comparisons/follow-ups/"))["results"]]
    assert (
        world.client("staff_a")
        .patch(f"/api/comparisons/follow-ups/{action.pk}/", {"status": "closed"}, format="json")
        .status_code
        == 404
    )
    updated = ok(
        world.client("staff_c").patch(
            f"/api/comparisons/follow-ups/{action.pk}/", {"status": "in_progress", "notes": "重新校准"}, format="json"
        )
    )
    assert updated["status"] == "in_progress"
    assert (
        world.client("staff_c")
        .patch(f"/api/comparisons/follow-ups/{action.pk}/", {"due_on": "2030-01-01"}, format="json")
        .status_code
        == 403
    )
    page = world.client("admin").get("/comparisons/follow-ups/")
    assert page.status_code == 200 and world.orgs["C"].name in page.content.decode()

    # A recomputation (before Draft A) replaces open follow-ups and keeps one in progress.
    comparison2, _ = setup_comparison(world, close=True)
    services.compute(world.users["staff_p"], comparison2, estimator="weighted-mean", sigma_pt=0.00005)
    first = FollowUpAction.objects.get(comparison=comparison2, participant__label="LAB-C")
    services.update_follow_up(world.users["staff_c"], first, status="in_progress")
    services.compute(world.users["staff_p"], comparison2, estimator="cox-a")
    result = comparison2.measurands.get().result
    flagged_now = {p["lab"] for p in result["participants"] if abs(p["En"]) > 1}
    rows = FollowUpAction.objects.filter(comparison=comparison2)
    assert rows.get(participant__label="LAB-C").pk == first.pk and FollowUpAction.objects.get(pk=first.pk).status == "in_progress"
    assert {a.participant.label for a in rows.filter(status="open")} == flagged_now - {"LAB-C"}
    from jiliang.audit.services import verify

    report = verify()  # the replaced follow-ups were deleted through the ledger
    assert report.intact, [f.to_json() for f in report.findings]


def test_verdict_limits():
    # ISO 13528:2022 §9.7.2: |En| ≤ 1 satisfactory, > 1 unsatisfactory; §9.4.2: |z| ≤ 2
    # satisfactory, 2 < |z| < 3 questionable, |z| ≥ 3 unsatisfactory.
    from jiliang.comparisons.services import verdicts

    assert verdicts({"En": 1.0, "z": 2.0}) == []
    assert [v for v, _ in verdicts({"En": -1.0001, "z": None})] == ["unsatisfactory"]
    assert [v for v, _ in verdicts({"En": 0.2, "z": -2.5})] == ["questionable"]
    assert [v for v, _ in verdicts({"En": None, "z": 3.0})] == ["unsatisfactory"]
    assert [v for v, _ in verdicts({"En": 1.5, "z": 2.5})] == ["unsatisfactory", "questionable"]


def test_questionable_z_is_flagged(world):
    results = {**RESULTS, "C": (1000.000200, 0.0001, 20)}
    comparison, measurand = setup_comparison(world, close=True, results=results)
    from jiliang.comparisons import services

    # σ_pt = 0.00005 g: LAB-C has |En| ≈ 0.69 (satisfactory) and z ≈ 2.73 (questionable).
    services.compute(world.users["staff_p"], comparison, estimator="weighted-mean", sigma_pt=0.00005)
    measurand.refresh_from_db()
    c = next(p for p in measurand.result["participants"] if p["lab"] == "LAB-C")
    assert abs(c["En"]) <= 1 and 2 < c["z"] < 3
    action = FollowUpAction.objects.get()
    assert (action.participant.label, action.verdict) == ("LAB-C", "questionable")
