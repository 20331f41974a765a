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
        "/api/comparisons/",
        f"/api/comparisons/?status={comparison.status}",
        f"/api/comparisons/{pk}/",
        f"/api/comparisons/{pk}/measurands/",
        f"/api/comparisons/{pk}/participants/",
        f"/api/comparisons/{pk}/circulation/",
        f"/api/comparisons/{pk}/submissions/",
        f"/api/comparisons/{pk}/submissions/?measurand={mid}",
        f"/api/comparisons/{pk}/submissions/{sid}/",
        f"/api/comparisons/{pk}/submissions/{sid}/budget-file/",
        f"/api/comparisons/{pk}/submissions/status/",
        f"/api/comparisons/{pk}/export/",
        f"/api/comparisons/{pk}/results/",
        f"/api/comparisons/{pk}/measurands/{mid}/plot.svg",
        f"/api/comparisons/{pk}/reports/",
        f"/api/comparisons/{pk}/reports/draft_a/",
        "/api/comparisons/public/",
        f"/api/comparisons/public/{pk}/",
        "/api/comparisons/follow-ups/",
        "/comparisons/",
        "/comparisons/public/",
        f"/comparisons/{pk}/",
        f"/comparisons/{pk}/reports/draft_a/",
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


# ---------------------------------------------------------------- the ledger holds no readable trace


def _ledger_entries(submission):
    from jiliang.audit.models import AuditEntry

    return list(
        AuditEntry.objects.filter(object_type="comparisons.submission", object_id=str(submission.pk)).order_by("sequence")
    )


def test_ledger_digest_of_a_sealed_submission_cannot_be_brute_forced(world):
    """The national administrator reads B's row digest in the ledger. Knowing every other
    column of the row (ids, times, revision, file path: here taken from the database itself)
    and the budget's shape, it hashes candidate rows over a grid of values, u and ν that holds
    the true ones: no candidate may match."""
    from jiliang.audit.services import read_row
    from jiliang.core import ledger

    setup_comparison(world)
    b_submission = Submission.objects.get(participant__label="LAB-B")
    target = _ledger_entries(b_submission)[-1].row_digest
    assert target
    known = read_row(Submission, b_submission.pk)
    values = [float(f"1000.0000{k:03d}") for k in range(700, 760)]
    uncertainties = [float(f"0.0000{k:03d}") for k in range(340, 360)]
    assert 1000.0000731 in values and 0.0000347 in uncertainties
    found = [
        (value, u, dof)
        for value in values
        for u in uncertainties
        for dof in (10.0, 11.0, 12.0, 13.0, 14.0)
        if ledger.row_digest(
            {
                **known,
                "value": value,
                "u": u,
                "dof": dof,
                "budget": [{"name": "budget-of-b", "u": u}],
                "budget_file_name": "budget.txt",
            }
        )
        == target
    ]
    assert found == []
    # Nothing else in the ledger or in the row names the values either.
    for entry in _ledger_entries(b_submission):
        text = " ".join(str(x) for x in (entry.old_values, entry.new_values, entry.natural_key))
        assert not any(marker in text for marker in B_MARKERS)
    assert not any(marker in str(known) for marker in B_MARKERS + ("budget.txt",))


def test_equal_values_leave_different_traces(world):
    # A random nonce per sealing: the same values submitted again give another row and digest.
    comparison, measurand = setup_comparison(world, submit=("B",))
    before = Submission.objects.get(participant__label="LAB-B")
    value, u, dof = (1000.0000731, 0.0000347, 12)
    services.submit(
        world.users["staff_b"],
        comparison,
        measurand=measurand,
        value=value,
        u=u,
        dof=dof,
        budget=[{"name": "budget-of-b", "u": u}],
    )
    after = Submission.objects.get(pk=before.pk)
    assert after.sealed != before.sealed and after.content == before.content
    first, second = _ledger_entries(after)[-2:]
    assert first.row_digest != second.row_digest


def test_the_key_stays_out_of_ledger_and_responses_until_the_close(world):
    from django.contrib import admin

    from jiliang.audit.models import AuditEntry
    from jiliang.comparisons.models import SubmissionKey

    comparison, measurand = setup_comparison(world)
    b_submission = Submission.objects.get(participant__label="LAB-B")
    key = SubmissionKey.objects.get(submission_id=b_submission.pk).key
    ledger_text = " ".join(f"{e.old_values} {e.new_values} {e.row_digest}" for e in AuditEntry.objects.all())
    assert key not in ledger_text
    assert SubmissionKey not in admin.site._registry and Submission not in admin.site._registry
    for who in VIEWERS + ("staff_b",):
        client = world.client(who)
        for url in urls(comparison, measurand, b_submission):
            assert key not in body(client.get(url)), (who, url)


def test_the_close_opens_the_seal_and_the_ledger_proves_it(world):
    from django.db import connection

    from jiliang.audit.services import verify
    from jiliang.comparisons.models import SubmissionKey
    from jiliang.comparisons.sealing import check_opened

    comparison, measurand = setup_comparison(world)
    sealed_b = Submission.objects.get(participant__label="LAB-B")
    assert sealed_b.value is None and sealed_b.u is None and sealed_b.budget == [] and sealed_b.budget_file_name == ""
    key = SubmissionKey.objects.get(submission_id=sealed_b.pk).key
    services.close_submissions(world.users["staff_p"], comparison)

    opened = Submission.objects.get(pk=sealed_b.pk)
    assert (opened.value, opened.u, opened.dof) == (1000.0000731, 0.0000347, 12.0)
    assert opened.budget == [{"name": "budget-of-b", "u": 0.0000347}] and opened.budget_file_name == "budget.txt"
    assert opened.seal_key == key and opened.sealed == sealed_b.sealed
    assert not SubmissionKey.objects.filter(submission__measurand__comparison=comparison).exists()
    assert _ledger_entries(opened)[-1].new["seal_key"] == key
    for submission in Submission.objects.filter(measurand=measurand):
        assert check_opened(submission) == []
    report = verify()
    assert report.intact, [f.to_json() for f in report.findings]

    # A value changed after the close, even with its digest re-recorded, no longer matches the sealed one.
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{Submission._meta.db_table}" SET value = %s WHERE id = %s', [1000.00005, opened.pk])
    assert check_opened(Submission.objects.get(pk=opened.pk)) == ["the plain values differ from the sealed ones"]
    assert any(f.kind == "row_changed" for f in verify().findings)
