"""The audit ledger in the database: automatic capture, tamper detection with raw SQL,
immutability through the ORM and the admin, reasons, checkpoints and the CLI."""

import base64
import datetime as dt
import json
import shutil
import subprocess
import threading

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from django.db import connection, transaction

import jiliang.audit.verify as verify_module
from jiliang.audit import checkpoints, services
from jiliang.audit.models import AuditEntry, LedgerHead, LedgerImmutable
from jiliang.cli import main
from jiliang.core import ledger
from jiliang.core.identifiers import make_credit_code
from jiliang.registry import models as m

# The ledger is counted from its first entry: each test starts from an empty database.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_database")]


@pytest.fixture
def world():
    province = m.Region.objects.create(code="330000", name="浙江省", level="province")
    bureau = m.Organisation.objects.create(
        name="浙江省市场监督管理局", credit_code=make_credit_code("11330000002482056"), kind="administration", region=province
    )
    institute = m.Organisation.objects.create(
        name="浙江省计量科学研究院", credit_code=make_credit_code("12330000470003142"), kind="legal_institute", region=province
    )
    field = m.MetrologyField.objects.create(code="mechanics", name="力学", name_en="Mechanics")
    with services.audit_context(actor="test-setup"):
        standard = m.MeasurementStandard.objects.create(
            name="燃油加油机检定装置",
            tier="public",
            level="province",
            holder=institute,
            field=field,
            certificate_number="[2021]浙量标证字第001号",
            issuing_department=bureau,
            valid_from=dt.date(2021, 3, 1),
        )
    return {"province": province, "bureau": bureau, "institute": institute, "field": field, "standard": standard}


def _sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _kinds(report):
    return sorted({f.kind for f in report.findings})


def test_orm_changes_append_entries_with_old_and_new_values(world):
    standard = world["standard"]
    created = AuditEntry.objects.filter(object_type="registry.measurementstandard").get()
    assert created.action == "create" and created.actor == "test-setup" and created.old is None
    assert created.new["certificate_number"] == "[2021]浙量标证字第001号"
    assert created.new["valid_until"] == "2026-02-28"  # filled in by the model's save (5 years), read back from the row
    assert created.natural_key == "[2021]浙量标证字第001号"

    with services.audit_context(actor="审核员", reason="名称更正"):
        standard.name = "燃油加油机检定装置（更正）"
        standard.save()
    update = AuditEntry.objects.order_by("-sequence").first()
    assert update.action == "update" and update.reason == "名称更正" and update.actor == "审核员"
    assert update.old == {"name": "燃油加油机检定装置"} and update.new == {"name": "燃油加油机检定装置（更正）"}
    assert update.previous_hash == AuditEntry.objects.get(sequence=update.sequence - 1).entry_hash

    count = AuditEntry.objects.count()
    standard.save()  # nothing changed: nothing to record
    assert AuditEntry.objects.count() == count

    # (A status-change record is deleted: nothing in other apps refers to it.)
    change = m.StandardStatusChange.objects.create(
        standard=standard, status="active", effective_on=dt.date(2021, 3, 1), reason="考核合格"
    )
    change.delete()
    last = AuditEntry.objects.order_by("-sequence").first()
    assert last.action == "delete" and last.old["reason"] == "考核合格" and last.row_digest is None
    assert last.object_type == "registry.standardstatuschange" and services.verify().intact


def test_status_change_of_a_standard_needs_a_reason(world):
    standard = world["standard"]
    standard.status = "suspended"
    with pytest.raises(services.ReasonRequired) as excinfo:
        standard.save()
    assert "reason" in excinfo.value.error_dict
    assert m.MeasurementStandard.objects.get(pk=standard.pk).status == "active"  # nothing written

    with services.audit_context(reason="期间核查不合格"):
        standard.save()
    entry = AuditEntry.objects.order_by("-sequence").first()
    assert entry.action == "status_change" and entry.reason == "期间核查不合格"
    assert entry.old == {"status": "active"} and entry.new == {"status": "suspended"}
    with pytest.raises(services.ReasonRequired):
        services.record("revoke", standard, actor="x", old=None, new={"status": "revoked"})


def test_raw_sql_edit_of_a_registry_row_is_found(world):
    assert services.verify().intact
    _sql("UPDATE registry_measurementstandard SET valid_until = %s WHERE id = %s", [dt.date(2030, 1, 1), world["standard"].pk])
    report = services.verify()
    assert _kinds(report) == ["row_changed"]
    assert report.findings[0].object_id == str(world["standard"].pk)


def test_raw_sql_delete_of_a_registry_row_is_found(world):
    org = m.Organisation.objects.create(
        name="某企业", credit_code=make_credit_code("91330100MA2AAAAA0"), kind="enterprise", region=world["province"]
    )
    _sql("DELETE FROM registry_organisation WHERE id = %s", [org.pk])
    report = services.verify()
    assert [(f.kind, f.object_id) for f in report.findings] == [("row_deleted", str(org.pk))]


def test_raw_sql_edit_of_an_entry_is_found(world):
    entry = AuditEntry.objects.get(object_type="registry.measurementstandard")
    forged = entry.new_values.replace("燃油加油机检定装置", "伪造装置")
    _sql("UPDATE audit_auditentry SET new_values = %s WHERE sequence = %s", [forged, entry.sequence])
    report = services.verify()
    assert [(f.kind, f.sequence) for f in report.findings] == [("entry_changed", entry.sequence)]


def test_rehashing_an_edited_entry_breaks_the_next_link(world):
    first = AuditEntry.objects.order_by("sequence").values_list(*services.ENTRY_COLUMNS.values()).first()
    row = dict(zip(ledger.ENTRY_COLUMNS, first))
    row["actor"] = "mallory"
    _sql(
        "UPDATE audit_auditentry SET actor = %s, entry_hash = %s WHERE sequence = %s",
        ["mallory", ledger.entry_hash(row), row["sequence"]],
    )
    report = services.verify()
    assert [(f.kind, f.sequence) for f in report.findings] == [("link_broken", row["sequence"] + 1)]


def test_raw_sql_delete_of_an_entry_is_found(world):
    middle, object_type, object_id = AuditEntry.objects.order_by("sequence").values_list("sequence", "object_type", "object_id")[
        2
    ]
    _sql("DELETE FROM audit_auditentry WHERE sequence = %s", [middle])
    report = services.verify()
    # The gap, and the row whose only entry it was: no longer on the ledger.
    assert [(f.kind, f.sequence, f.object_id) for f in report.findings] == [
        ("entries_deleted", middle, None),
        ("row_unrecorded", None, object_id),
    ]
    assert report.findings[1].object_type == object_type

    last = LedgerHead.objects.get().sequence
    _sql("DELETE FROM audit_auditentry WHERE sequence = %s", [last])
    assert "entries_missing_at_end" in _kinds(services.verify())


def test_forged_entry_is_found_even_with_a_correct_hash(world):
    head = LedgerHead.objects.get()
    forged = {
        "sequence": head.sequence + 1,
        "timestamp": dt.datetime.now(dt.UTC),
        "actor_id": None,
        "actor": "mallory",
        "action": "update",
        "object_type": "registry.measurementstandard",
        "object_id": "",
        "natural_key": "",
        "old": None,
        "new": None,
        "reason": None,
        "row_digest": None,
        "previous_hash": head.entry_hash,
    }
    forged["entry_hash"] = ledger.entry_hash(forged)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditentry (sequence, timestamp, actor, action, object_type, object_id, natural_key, previous_hash, entry_hash) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                forged["sequence"],
                forged["timestamp"],
                "mallory",
                "update",
                forged["object_type"],
                "",
                "",
                head.entry_hash,
                forged["entry_hash"],
            ],
        )
    assert _kinds(services.verify()) == ["entries_after_head"]

    # A forged entry put in place of entry 2, hashed correctly on entry 1: entry 3 no longer links.
    _sql("DELETE FROM audit_auditentry WHERE sequence = %s", [forged["sequence"]])
    replaced = AuditEntry.objects.get(sequence=2).object_id
    third = AuditEntry.objects.get(sequence=3).object_id
    _sql("DELETE FROM audit_auditentry WHERE sequence = 2")
    first_hash = AuditEntry.objects.get(sequence=1).entry_hash
    forged.update(sequence=2, previous_hash=first_hash)
    forged["entry_hash"] = ledger.entry_hash(forged)
    _sql(
        "INSERT INTO audit_auditentry (sequence, timestamp, actor, action, object_type, object_id, natural_key, previous_hash, entry_hash) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [2, forged["timestamp"], "mallory", "update", forged["object_type"], "", "", first_hash, forged["entry_hash"]],
    )
    # …and the row whose entry was replaced is no longer on the ledger.
    assert [(f.kind, f.sequence, f.object_id) for f in services.verify().findings] == [
        ("link_broken", 3, third),
        ("row_unrecorded", None, replaced),
    ]


def test_entries_refuse_update_and_delete_through_the_orm(world):
    entry = AuditEntry.objects.first()
    entry.reason = "changed"
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="x")
    with pytest.raises(LedgerImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(LedgerImmutable):
        AuditEntry.objects.create(
            sequence=99,
            timestamp=dt.datetime.now(dt.UTC),
            actor="x",
            action="other",
            object_type="x.y",
            previous_hash="0" * 64,
            entry_hash="0" * 64,
        )
    assert services.verify().intact


def test_admin_is_read_only(world, admin_client):
    entry = AuditEntry.objects.first()
    assert admin_client.get("/admin/audit/auditentry/").status_code == 200
    assert admin_client.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200  # view only
    assert admin_client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"reason": "x"}).status_code == 403
    assert admin_client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).reason == entry.reason


def test_record_many_chains_bulk_entries_read_back_from_the_rows(world):
    before = LedgerHead.objects.get().sequence
    orgs = [
        m.Organisation(
            name=f"企业{i}", credit_code=make_credit_code(f"91330100MA2B{i:05d}"), kind="enterprise", region=world["province"]
        )
        for i in range(30)
    ]
    m.Organisation.objects.bulk_create(orgs)  # no signals: a bulk path records itself
    ids = list(m.Organisation.objects.filter(name__startswith="企业").values_list("id", flat=True))
    with services.audit_context(actor="cli:import"):
        count = services.record_many("import", m.Organisation, [{"id": i} for i in ids], chunk=7)
    assert count == 30 and LedgerHead.objects.get().sequence == before + 30
    entry = AuditEntry.objects.get(sequence=before + 1)
    assert entry.action == "import" and entry.actor == "cli:import" and entry.new["name"] == "企业0"
    assert services.verify().intact
    m.Organisation.objects.filter(pk=ids[5]).update(address="改")  # bypasses the ledger
    assert [(f.kind, f.object_id) for f in services.verify().findings] == [("row_changed", str(ids[5]))]


def _keys(tmp_path, kind):
    if kind == "sm2":
        private, public_pem = checkpoints.generate_key("sm2-sm3")
        (tmp_path / "sm2.pem").write_bytes(private)
        (tmp_path / "sm2.pub.pem").write_bytes(public_pem)
        return tmp_path / "sm2.pem", tmp_path / "sm2.pub.pem"
    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / f"{kind}.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public = tmp_path / f"{kind}.pub.pem"
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return path, public


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "sm2"])
def test_signed_checkpoint_exports_and_verifies(world, tmp_path, kind, capsys):
    key, public = _keys(tmp_path, kind)
    out = tmp_path / "checkpoint.json"
    assert main(["audit", "checkpoint", "--out", str(out), "--key", str(key)]) == 0
    checkpoint = json.loads(out.read_text())
    head = LedgerHead.objects.get()
    assert (checkpoint["sequence"], checkpoint["entry_hash"]) == (head.sequence, head.entry_hash)
    assert checkpoint["entry_count"] == head.sequence and AuditEntry.objects.get(sequence=head.sequence).action == "checkpoint"
    assert services.verify_signature(checkpoint, public.read_bytes()) is None

    report = services.verify(checkpoint=checkpoint, public_key_pem=public.read_bytes())
    assert report.intact and report.checkpoint["contained"] and report.checkpoint["signature_valid"]

    altered = dict(checkpoint, entry_count=checkpoint["entry_count"] + 1)
    assert "does not verify" in services.verify_signature(altered)
    (tmp_path / "other").mkdir()
    _, other_public = _keys(tmp_path / "other", kind)
    assert "does not verify" in services.verify_signature(checkpoint, other_public.read_bytes())
    report = services.verify(checkpoint=checkpoint, public_key_pem=other_public.read_bytes())
    assert [f.kind for f in report.findings] == ["checkpoint_signature_invalid"]


def test_checkpoint_key_follows_the_deployment_algorithm_and_openssl_checks_sm2(world, tmp_path, settings):
    settings.JILIANG_SIGNATURE_ALGORITHM = "sm2-sm3"
    key, out = tmp_path / "checkpoint-key.pem", tmp_path / "checkpoint.json"
    assert main(["audit", "checkpoint", "--out", str(out), "--generate-key", str(key)]) == 0
    checkpoint = json.loads(out.read_text())
    assert checkpoint["signature"]["algorithm"] == "SM2-SM3"
    public = (tmp_path / "checkpoint-key.pem.pub").read_bytes()
    assert services.verify_signature(checkpoint, public) is None
    assert "does not verify" in services.verify_signature(dict(checkpoint, sequence=checkpoint["sequence"] - 1), public)
    with pytest.raises(SystemExit, match="exists"):  # never over an existing key
        main(["audit", "checkpoint", "--generate-key", str(key)])
    openssl = shutil.which("openssl")
    if openssl and b"SM2" in subprocess.run([openssl, "list", "-signature-algorithms"], capture_output=True).stdout:
        # The independent check: OpenSSL's SM2 with the default ID of GB/T 35276-2017 §10.
        (tmp_path / "payload").write_bytes(checkpoints._signed_bytes(checkpoint))
        (tmp_path / "sig").write_bytes(base64.b64decode(checkpoint["signature"]["value"]))
        result = subprocess.run(
            ["openssl", "dgst", "-sm3", "-verify", str(key) + ".pub", "-sigopt", "distid:1234567812345678",
             "-signature", str(tmp_path / "sig"), str(tmp_path / "payload")],
            capture_output=True,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    settings.JILIANG_SIGNATURE_ALGORITHM = "ecdsa-p256"
    other = tmp_path / "ecdsa-key.pem"
    assert main(["audit", "checkpoint", "--out", str(out), "--generate-key", str(other)]) == 0
    assert json.loads(out.read_text())["signature"]["algorithm"] == "ECDSA-SHA256"


def test_rewritten_history_fails_the_checkpoint(world):
    checkpoint = services.make_checkpoint()
    # Rewrite the first entry and re-chain everything after it, head included: the chain is
    # self-consistent again, and only the checkpoint can tell.
    rows = [
        dict(zip(ledger.ENTRY_COLUMNS, r))
        for r in AuditEntry.objects.order_by("sequence").values_list(*services.ENTRY_COLUMNS.values())
    ]
    rows[0]["actor"] = "mallory"
    ledger.chain(rows)
    for r in rows:
        _sql(
            "UPDATE audit_auditentry SET actor = %s, previous_hash = %s, entry_hash = %s WHERE sequence = %s",
            [r["actor"], r["previous_hash"], r["entry_hash"], r["sequence"]],
        )
    _sql("UPDATE audit_ledgerhead SET entry_hash = %s", [rows[-1]["entry_hash"]])
    assert services.verify().intact
    report = services.verify(checkpoint=checkpoint)
    assert [f.kind for f in report.findings] == ["checkpoint_mismatch"] and not report.checkpoint["contained"]


def test_cli_exit_codes_and_json(world, capsys):
    assert main(["audit", "verify"]) == 0
    assert "intact" in capsys.readouterr().out
    _sql("UPDATE registry_organisation SET address = 'x' WHERE id = %s", [world["institute"].pk])
    assert main(["audit", "verify", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["intact"] is False and [f["kind"] for f in data["findings"]] == ["row_changed"]
    assert set(data) == {"intact", "entries", "rows_checked", "head", "checkpoint", "findings", "unchecked_types", "seconds"}
    assert main(["audit", "verify"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("row_changed: registry.organisation") and "1 finding" in lines[-1]


def test_bulk_context_appends_held_entries_together(world):
    before = LedgerHead.objects.get().sequence
    with transaction.atomic(), services.audit_context(actor="cli:cleanup", bulk=True):
        for i in range(5):
            m.StandardStatusChange.objects.create(
                standard=world["standard"], status="active", effective_on=dt.date(2021, 3, 1), reason=f"复查{i}"
            )
        assert LedgerHead.objects.get().sequence == before  # held back until the block ends
        m.StandardStatusChange.objects.filter(reason__startswith="复查").delete()
    entries = list(AuditEntry.objects.filter(sequence__gt=before))
    assert [e.action for e in entries] == ["create"] * 5 + ["delete"] * 5
    assert {e.actor for e in entries} == {"cli:cleanup"} and services.verify().intact


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain():
    # The test database of SQLite is a shared-cache memory database, whose table locks do
    # not wait; the file database in WAL/IMMEDIATE mode serialises writers instead.
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL in the test run (SQLite's test database is shared-cache memory)")
    province = m.Region.objects.create(code="330000", name="浙江省", level="province")

    def writer(offset):
        try:
            for i in range(10):
                with transaction.atomic(), services.audit_context(actor=f"worker-{offset}"):
                    m.Region.objects.create(code=f"33{offset:02d}{i:02d}", name="区", level="city", parent=province)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert AuditEntry.objects.count() == 31 and LedgerHead.objects.get().sequence == 31
    report = services.verify()
    assert report.intact and report.entries == 31


def test_explicit_records_and_deleted_actor_keep_the_chain(world, django_user_model):
    user = django_user_model.objects.create_user("checker", password="x" * 12)
    entry = services.record(
        "revoke", world["standard"], actor=user, old={"status": "active"}, new={"status": "revoked"}, reason="证书注销"
    )
    assert (entry.actor_user_id, entry.actor, entry.row_digest) == (
        user.pk,
        "checker",
        ledger.row_digest(services.read_row(m.MeasurementStandard, world["standard"].pk)),
    )
    services.record("import", "registry.instrument", actor="cli:import", new={"file": "a.csv", "rows": 120})
    assert services.record_many("other", "portal.complaint", [{"id": 1, "text": "秤不准"}], read_back=False) == 1
    # Removing the user neither is blocked by nor rewrites the ledger (no constraint, DO_NOTHING).
    assert AuditEntry._meta.get_field("actor_user").remote_field.on_delete.__name__ == "DO_NOTHING"
    _sql(f"DELETE FROM {django_user_model._meta.db_table} WHERE id = %s", [user.pk])
    assert AuditEntry.objects.filter(actor_user_id=user.pk).count() == 1
    report = services.verify()
    assert report.intact and report.entries == AuditEntry.objects.count()
    with pytest.raises(ledger.LedgerError, match="action"):
        services.record("approve", world["standard"], actor="x")


def test_top_level_cli_runs_audit_verify(world, capsys):
    assert main(["audit", "verify"]) == 0
    _sql("DELETE FROM audit_auditentry WHERE sequence = 2")
    assert main(["audit", "verify", "--no-rows"]) == 1
    assert capsys.readouterr().out.splitlines()[-2].startswith("entries_deleted: entry 2 missing")


@pytest.mark.django_db(transaction=True)
def test_parallel_verify_finds_what_the_serial_one_finds(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("forked workers cannot open SQLite's in-memory test database")
    province = m.Region.objects.create(code="330000", name="浙江省", level="province")
    for i in range(12):
        m.Region.objects.create(code=f"3301{i:02d}", name=f"区{i}", level="city", parent=province)
    _sql("DELETE FROM audit_auditentry WHERE sequence = 7")
    _sql("UPDATE registry_region SET name = 'x' WHERE code = '330111'")
    serial = services.verify(workers=1)
    monkeypatch.setattr(verify_module, "PARALLEL_MIN_ENTRIES", 4)
    parallel = services.verify(workers=3)
    assert [(f.kind, f.sequence, f.object_id) for f in parallel.findings] == [
        (f.kind, f.sequence, f.object_id) for f in serial.findings
    ]
    assert {f.kind for f in serial.findings} == {
        "entries_deleted",
        "row_changed",
        "row_unrecorded",
    }  # entry 7 was its row's record
    assert parallel.entries == serial.entries == 12


def test_rebaseline_after_a_schema_change_records_new_digests(world):
    # Stand-in for a migration that changed every row's columns: the rows no longer match.
    _sql("UPDATE registry_organisation SET address = 'migrated'")
    assert {f.kind for f in services.verify().findings} == {"row_changed"}
    with pytest.raises(services.ReasonRequired):
        services.rebaseline(m.Organisation, actor="cli:migrate", reason="")
    assert services.rebaseline(m.Organisation, actor="cli:migrate", reason="migration registry 0002") == 2
    assert services.verify().intact


def test_writes_while_verify_runs_are_not_findings(world, monkeypatch):
    institute = world["institute"]
    walk = verify_module._walk_range

    def walk_while_someone_writes(task):
        walker = walk(task)
        with services.audit_context(actor="another request"):  # appends, moves the head, changes the row
            institute.address = "杭州市西湖区"
            institute.save()
        return walker

    monkeypatch.setattr(verify_module, "_walk_range", walk_while_someone_writes)
    report = services.verify()
    assert report.intact and report.entries == 5
    monkeypatch.undo()
    assert services.verify().intact and services.verify().entries == 6
