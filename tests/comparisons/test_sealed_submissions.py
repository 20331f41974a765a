"""Sealed submissions: until the pilot closes submissions, no response of any endpoint or
page carries another participant's values — not to other participants, not to the pilot,
not to the administrator, not to the public. B's value, u and budget are searched for in
every response body."""

import pytest

from jiliang.comparisons import services
from jiliang.comparisons.models import Submission

from .conftest import B_MARKERS, setup_comparison

pytestmark = pytest.mark.django_db

VIEWERS = ("staff_a", "staff_c", "staff_p", "admin", "auditor", "beijing_admin", "public", "anonymous")


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", "replace")


def urls(comparison, measurand, b_submission):
    pk, mid, sid = comparison.pk, measurand.pk, b_submission.pk
    return [
        "/api/comparisons/", f"/api/comparisons/?status={comparison.status}", f"/api/comparisons/{pk}/",
        f"/api/comparisons/{pk}/measurands/", f"/api/comparisons/{pk}/participants/", f"/api/comparisons/{pk}/circulation/",
        f"/api/comparisons/{pk}/submissions/", f"/api/comparisons/{pk}/submissions/?measurand={mid}",
        f"/api/comparisons/{pk}/submissions/{sid}/", f"/api/comparisons/{pk}/submissions/{sid}/budget-file/",
        f"/api/comparisons/{pk}/submissions/status/", f"/api/comparisons/{pk}/export/", f"/api/comparisons/{pk}/results/",
        f"/api/comparisons/{pk}/measurands/{mid}/plot.svg", f"/api/comparisons/{pk}/reports/", f"/api/comparisons/{pk}/reports/draft_a/",
        "/api/comparisons/public/", f"/api/comparisons/public/{pk}/", "/api/comparisons/follow-ups/",
        "/comparisons/", "/comparisons/public/", f"/comparisons/{pk}/", f"/comparisons/{pk}/reports/draft_a/",
        "/comparisons/follow-ups/",
    ]


def leaks(world, who, comparison, measurand, b_submission) -> list[str]:
    client = world.client(who)
    found = []
    for url in urls(comparison, measurand, b_submission):
        response = client.get(url)
        assert response.status_code < 500, (who, url)
        text = body(response)
        found += [f"{who} {url}: {marker}" for marker in B_MARKERS if marker in text]
    return found


def test_markers_are_found_where_they_may_be_seen(world):
    # The search is not vacuous: B's own responses carry its value, u, budget and file.
    comparison, measurand = setup_comparison(world)
    b_submission = Submission.objects.get(participant__label="LAB-B")
    client = world.client("staff_b")
    own = body(client.get(f"/api/comparisons/{comparison.pk}/submissions/"))
    assert all(marker in own for marker in ("1000.0000731", "0.0000347", "budget-of-b"))
    assert "budget-of-b file" in body(client.get(f"/api/comparisons/{comparison.pk}/submissions/{b_submission.pk}/budget-file/"))
    assert "1000.00007" in body(client.get(f"/comparisons/{comparison.pk}/"))
    assert "1000.00007" in body(client.get(f"/api/comparisons/{comparison.pk}/export/"))


def test_sealed_on_every_endpoint_and_page_before_close(world):
    comparison, measurand = setup_comparison(world)
    b_submission = Submission.objects.get(participant__label="LAB-B")
    found = [leak for who in VIEWERS for leak in leaks(world, who, comparison, measurand, b_submission)]
    assert found == []
    # Each participant still sees its own values…
    a_rows = world.client("staff_a").get(f"/api/comparisons/{comparison.pk}/submissions/").json()
    assert [r["participant_label"] for r in a_rows] == ["LAB-A"]
    # …and the pilot and the administrator see who has submitted, without values.
    for who, own_labels in (("staff_p", ["LAB-P"]), ("admin", [])):
        status = world.client(who).get(f"/api/comparisons/{comparison.pk}/submissions/status/").json()
        assert sorted(r["participant_label"] for r in status) == ["LAB-A", "LAB-B", "LAB-C", "LAB-P"]
        assert all("value" not in r and "u" not in r for r in status)
        # The pilot takes part too: it sees its own values, nobody else's.
        rows = world.client(who).get(f"/api/comparisons/{comparison.pk}/submissions/").json()
        assert [r["participant_label"] for r in rows] == own_labels
    # Another participant is told only about its own submission.
    status_a = world.client("staff_a").get(f"/api/comparisons/{comparison.pk}/submissions/status/").json()
    assert [r["participant_label"] for r in status_a] == ["LAB-A"]


def test_seal_opens_in_stages_after_close(world):
    comparison, measurand = setup_comparison(world, close=True)
    pilot = world.users["staff_p"]
    b_submission = Submission.objects.get(participant__label="LAB-B")
    pk = comparison.pk
    # Closed: the pilot, the administrator and its auditor see every value; participants still only their own.
    for who in ("staff_p", "admin", "auditor"):
        assert "1000.0000731" in body(world.client(who).get(f"/api/comparisons/{pk}/submissions/"))
    for who in ("staff_a", "beijing_admin", "anonymous"):
        assert leaks(world, who, comparison, measurand, b_submission) == []
    # Computed: results are the organisers' until Draft A.
    services.compute(pilot, comparison, estimator="weighted-mean")
    comparison.refresh_from_db()
    assert world.client("staff_p").get(f"/api/comparisons/{pk}/results/").status_code == 200
    assert world.client("staff_a").get(f"/api/comparisons/{pk}/results/").status_code == 404
    for who in ("staff_a", "staff_c", "anonymous", "public"):
        assert leaks(world, who, comparison, measurand, b_submission) == []
    # Draft A: visible to the participants, not yet to the public.
    services.write_report(pilot, comparison, stage="draft_a", introduction="intro")
    comparison.refresh_from_db()
    assert "1000.0000731" in body(world.client("staff_a").get(f"/api/comparisons/{pk}/submissions/"))
    assert world.client("staff_a").get(f"/api/comparisons/{pk}/results/").status_code == 200
    assert "LAB-B" in body(world.client("staff_a").get(f"/comparisons/{pk}/reports/draft_a/"))
    for who in ("anonymous", "public", "beijing_admin"):
        assert leaks(world, who, comparison, measurand, b_submission) == []


def test_sealed_pages_for_the_pilot_show_who_submitted(world):
    comparison, _ = setup_comparison(world, submit=("A", "B"))
    page = body(world.client("staff_p").get(f"/comparisons/{comparison.pk}/"))
    assert "LAB-A" in page and "LAB-B" in page
    assert not any(marker in page for marker in B_MARKERS)
