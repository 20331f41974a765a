"""Witnessed ledgers: a province checkpoints its audit ledger, the centre witnesses it in a
Merkle log (RFC 9162), anyone checks the log's files offline; a province that rewrites one
old ledger entry is caught against its earlier checkpoint, and a forged checkpoint
signature is refused. One database plays both sides (the province's ledger and the
centre's log live in different tables)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client

from jiliang.audit import checkpoints
from jiliang.audit.chain import ENTRY_COLUMNS
from jiliang.audit.models import AuditEntry
from jiliang.audit.recording import record
from jiliang.cli import main
from jiliang.core import ledger
from jiliang.core import transparency as mt
from jiliang.federation.apply import HANDLERS
from jiliang.federation.records import Record, RecordRefused
from jiliang.witness import services
from jiliang.witness.models import LogEntry, Refusal, TreeHead
from jiliang.witness.verify import verify_documents

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def keys():
    province, province_public = checkpoints.generate_key("ecdsa-p256")
    other, _ = checkpoints.generate_key("ecdsa-p256")
    return {"province": province, "public": province_public, "other": other}


@pytest.fixture
def centre(keys, settings, tmp_path):
    settings.JILIANG_WITNESS_KEY = str(tmp_path / "centre.pem")
    services.register_province("33", "浙江省", keys["public"].decode())
    return keys


def _grow(n: int, tag: str) -> None:
    for i in range(n):
        record("other", "witness.test", actor="test", new={"tag": tag, "i": i})


def _accept(submission: services.Submission) -> LogEntry:
    return services.accept_checkpoint(submission.province, submission.body, submission.signature, submission.consistency_path)


def test_checkpoints_are_witnessed_and_every_proof_checks_offline(centre, tmp_path):
    _grow(3, "a")
    first = services.make_submission(centre["province"], "33")
    entry = _accept(first)
    assert (entry.index, entry.ledger_size) == (0, json.loads(first.body)["ledger_tree"]["size"])
    assert _accept(first).index == 0 and TreeHead.objects.count() == 1  # a replay changes nothing
    _grow(4, "b")
    second = services.make_submission(centre["province"], "33")
    assert second.consistency_path  # proves ledger growth from the first checkpoint
    assert _accept(second).index == 1

    head = services.latest_head()
    leaves = [mt.leaf_hash(e.leaf.encode()) for e in LogEntry.objects.order_by("index")]
    assert head.tree_size == 2 and head.root_hash == mt.root(leaves).hex()
    documents = [
        ("sth.json", services.sth_json(head)),
        ("inclusion.json", services.inclusion_bundle(0)),
        ("consistency.json", services.consistency_bundle(1, 2)),
        ("ledger.json", services.ledger_bundle("33")),
        ("kept.json", first.to_json()),
    ]
    pem = centre["public"]
    report = verify_documents(documents, services.centre_public_key().encode(), {"33": pem})
    assert report.intact, report.lines
    assert any("extends the one of" in line for line in report.lines)

    # The command line reads the same files; a tampered tree head fails there.
    paths = []
    for name, doc in documents:
        (tmp_path / name).write_text(json.dumps(doc))
        paths.append(str(tmp_path / name))
    (tmp_path / "centre.pub").write_text(services.centre_public_key())
    assert main(["audit", "witness-verify", *paths, "--centre-key", str(tmp_path / "centre.pub")]) == 0
    forged = dict(services.sth_json(head), root_hash="00" * 32)
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    assert main(["audit", "witness-verify", paths[0], str(tmp_path / "forged.json")]) == 1


def test_a_province_that_rewrites_one_old_entry_is_caught(centre):
    _grow(5, "a")
    earlier = services.make_submission(centre["province"], "33")
    _accept(earlier)
    _grow(2, "b")
    # Rewrite one old entry and re-chain everything after it, as a thorough forger would:
    # the ledger's own hash chain then verifies again, but not against the earlier tree.
    rows = list(AuditEntry.objects.order_by("sequence").values_list(*ENTRY_COLUMNS.values()))
    target = len(rows) - 5
    previous_hash = rows[target - 1][13] if target else ledger.GENESIS
    with connection.cursor() as cursor:
        for row in rows[target:]:
            content = dict(zip(ledger.ENTRY_COLUMNS, row))
            if row is rows[target]:
                content["reason"] = "rewritten"
            content["previous_hash"] = previous_hash
            previous_hash = ledger.entry_hash(content)
            cursor.execute(
                "UPDATE audit_auditentry SET reason = %s, previous_hash = %s, entry_hash = %s WHERE sequence = %s",
                [content["reason"], content["previous_hash"], previous_hash, row[0]],
            )
        cursor.execute("UPDATE audit_ledgerhead SET entry_hash = %s WHERE id = 1", [previous_hash])

    # The province's own check refuses to send a checkpoint that does not extend the last…
    with pytest.raises(services.WitnessRefused) as refused:
        services.make_submission(centre["province"], "33")
    assert refused.value.code == "witness_ledger_rewritten"
    with pytest.raises(services.WitnessRefused, match="not a prefix"):
        services.check_growth(json.loads(earlier.body))
    # …and a province that skips it is refused by the centre, holding the earlier root.
    dishonest = services.make_submission(centre["province"], "33", check_growth=False)
    with pytest.raises(services.WitnessRefused) as refused:
        _accept(dishonest)
    assert refused.value.code == "witness_ledger_rewritten"
    assert LogEntry.objects.count() == 1 and services.latest_head().tree_size == 1
    assert Refusal.objects.get().rule == "witness_ledger_rewritten"


def test_a_forged_checkpoint_signature_is_refused(centre):
    _grow(2, "a")
    honest = services.make_submission(centre["province"], "33")
    other_key = services.Submission(
        "33", honest.body, checkpoints.sign_payload(honest.body, centre["other"]), honest.consistency_path
    )
    altered_body = honest.body.replace(b'"province":"33"', b'"province":"33","x":1')
    for forged in (other_key, services.Submission("33", altered_body, honest.signature, [])):
        with pytest.raises(services.WitnessRefused) as refused:
            _accept(forged)
        assert refused.value.code == "witness_signature_invalid"
    with pytest.raises(services.WitnessRefused) as refused:
        services.accept_checkpoint("44", honest.body, honest.signature)
    assert refused.value.code == "witness_province_unknown"
    assert not LogEntry.objects.exists() and not TreeHead.objects.exists()
    assert sorted(Refusal.objects.values_list("rule", flat=True)) == [
        "witness_province_unknown",
        "witness_signature_invalid",
        "witness_signature_invalid",
    ]


def test_the_public_api_and_page(centre):
    client = Client()
    assert client.get("/api/witness/sth/").status_code == 404  # nothing witnessed yet
    _grow(1, "a")
    _accept(services.make_submission(centre["province"], "33"))
    sth = client.get("/api/witness/sth/").json()
    assert sth["tree_size"] == 1 and sth["format"] == services.STH_FORMAT
    inclusion = client.get("/api/witness/inclusion/?index=0").json()
    assert inclusion["entry"]["index"] == 0 and inclusion["inclusion_path"] == []
    assert client.get("/api/witness/inclusion/?index=5").status_code == 404
    assert client.get("/api/witness/consistency/?first=1").json()["consistency_path"] == []
    assert client.get("/api/witness/provinces/33/ledger/").json()["entries"][0]["index"] == 0
    assert client.get("/api/witness/entries/?province=33").json()["results"][0]["province"] == "33"
    page = client.get("/witness/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and sth["root_hash"] in page.content.decode()
    assert "拒收的检查点" not in page.content.decode()  # refusals are for supervisors


def test_the_command_line_checkpoints_for_the_witness(centre, tmp_path, capsys):
    key = tmp_path / "province.pem"
    key.write_bytes(centre["province"])
    out = tmp_path / "submission.json"
    assert main(["audit", "witness-checkpoint", "--key", str(key), "--province", "33", "--out", str(out)]) == 0
    submission = services.Submission.from_json(json.loads(out.read_text()))
    assert _accept(submission).province == "33"
    # Sizes beyond what the databases hold, or below 1, are a 400 naming the parameter.
    client = Client()
    assert client.get("/api/witness/inclusion/?index=99999999999999999999").json().keys() == {"index"}
    assert client.get("/api/witness/sth/?tree_size=-1").status_code == 400


def test_the_federation_applies_ledger_checkpoint_records(centre):
    _grow(1, "a")
    submission = services.make_submission(centre["province"], "33")

    def record(province, body):
        return Record(f"{province}:1", province, 1, services.RECORD_KIND, body, None, "", "", "")  # type: ignore[arg-type]

    # The province queues it for the centre as a record of its own kind…
    from jiliang.federation.models import OutboxRecord
    from jiliang.witness.federation import publish

    publish(submission)
    queued = OutboxRecord.objects.get(kind=services.RECORD_KIND)
    assert queued.body == submission.to_json()
    # …and the centre's handler applies it.
    apply = HANDLERS[services.RECORD_KIND]
    apply(record("33", queued.body))
    assert LogEntry.objects.get().province == "33"
    with pytest.raises(RecordRefused) as refused:
        apply(record("11", submission.to_json()))  # Beijing cannot send Zhejiang's checkpoint
    assert refused.value.rule == "federation.invalid_body"
    with pytest.raises(RecordRefused):
        apply(record("33", {"province": "33"}))
    # A forged checkpoint in an authentic record is applied as a refusal the witness keeps.
    forged = dict(submission.to_json(), signature=checkpoints.sign_payload(submission.body, centre["other"]))
    apply(record("33", forged))
    assert Refusal.objects.get().rule == "witness_signature_invalid" and LogEntry.objects.count() == 1


def test_the_demo_step_plants_a_log_with_a_refusal(settings, tmp_path):
    from types import SimpleNamespace

    from jiliang.registry.models import Region
    from jiliang.witness.demo import plant_witness

    settings.JILIANG_WITNESS_KEY = str(tmp_path / "centre.pem")
    province = Region.objects.filter(level="province").first() or Region.objects.create(
        code="330000", name="浙江省", level="province"
    )
    plant_witness(SimpleNamespace(province=province))
    assert list(LogEntry.objects.values_list("province", flat=True)) == [province.code[:2]] * 2
    assert LogEntry.objects.get(index=1).ledger_consistency  # the second proves growth from the first
    assert Refusal.objects.get().rule == "witness_signature_invalid"
