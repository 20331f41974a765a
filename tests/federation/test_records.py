"""Change records: signed with a province institution's key from the platform PKI, refused
and reported when forged (a key from another CA, another province's institution) or altered
(one byte of the body), applied exactly once (a replay or duplicate changes nothing)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from jiliang.certificates import keys
from jiliang.core.dcc import pki
from jiliang.core.dcc.sign import Signer
from jiliang.federation.apply import HANDLERS, apply_record, handler
from jiliang.federation.models import AppliedRecord, FederatedCertificate, ProvinceStatus, RefusedRecord
from jiliang.federation.records import RecordRefused, build_record, verify_record

pytestmark = pytest.mark.django_db

BODY = {
    "number": "BJ-2026-9001",
    "kind": "verification",
    "issuer": "北京市计量检测科学研究院",
    "item": {"code": "BJ-W-9", "name": "电子天平", "region": "110105"},
    "performed_on": "2026-03-01",
    "valid_until": "2027-02-28",
    "passed": True,
    "document_sha256": "ab" * 32,
    "standards": ["[2024]京量标证字第007号"],
    "upstream": [{"province": "33", "certificate": "ZJ-2026-0002"}],
}


def _signer(organisation):
    return keys.signer_for(keys.usable_key(organisation), "seal")


def _refusals(rule):
    return list(RefusedRecord.objects.filter(rule=rule).values_list("record_id", flat=True))


def test_a_signed_record_verifies_and_applies_once(world):
    raw = build_record("certificate", BODY, province="11", seq=1, signer=_signer(world.beijing))
    record = verify_record(raw)
    assert (record.id, record.province, record.seq, record.kind) == ("11:1", "11", 1, "certificate")
    assert record.signer_credit_code == world.beijing.credit_code
    assert json.loads(raw)["body"] == BODY
    assert apply_record(raw) == "applied"
    entry = FederatedCertificate.objects.get(province="11", number="BJ-2026-9001")
    assert entry.upstream == [{"province": "33", "certificate": "ZJ-2026-0002"}]
    # The same bytes again, and the same change signed anew (a re-publication): nothing changes.
    before = FederatedCertificate.objects.values().get(pk=entry.pk)
    assert apply_record(raw) == "duplicate"
    again = build_record("certificate", BODY, province="11", seq=1, signer=_signer(world.beijing))
    assert again != raw  # a new ECDSA signature
    assert apply_record(again) == "duplicate"
    assert FederatedCertificate.objects.values().get(pk=entry.pk) == before
    assert AppliedRecord.objects.filter(record_id="11:1").count() == 1
    status = ProvinceStatus.objects.get(code="11")
    assert (status.applied_through, status.applied_count, status.duplicate_count) == (1, 1, 2)


def test_same_id_with_another_body_is_refused_as_a_conflict(world):
    signer = _signer(world.beijing)
    assert apply_record(build_record("certificate", BODY, province="11", seq=1, signer=signer)) == "applied"
    changed = {**BODY, "passed": False, "valid_until": None}
    assert apply_record(build_record("certificate", changed, province="11", seq=1, signer=signer)) == "refused"
    assert _refusals("federation.conflict") == ["11:1"]
    assert FederatedCertificate.objects.get(number="BJ-2026-9001").passed is True


def test_an_altered_body_is_refused_and_reported_with_nothing_applied(world):
    raw = build_record("certificate", BODY, province="11", seq=1, signer=_signer(world.beijing))
    forged = raw.replace(b'"passed":true', b'"passed":false')
    assert forged != raw
    with pytest.raises(RecordRefused) as refused:
        verify_record(forged)
    assert refused.value.rule == "federation.bad_signature"
    assert apply_record(forged) == "refused"
    assert _refusals("federation.bad_signature") == ["11:1"]
    assert not FederatedCertificate.objects.exists() and not AppliedRecord.objects.exists()
    assert not ProvinceStatus.objects.filter(code="11").exists()  # a forger creates no origin
    # The genuine record still applies afterwards: a refusal does not take its id.
    assert apply_record(raw) == "applied"
    assert apply_record(forged) == "refused"
    assert ProvinceStatus.objects.get(code="11").refused_count == 1


def test_a_key_outside_the_platform_pki_is_refused(world):
    # A self-made CA and key with the institution's name and credit code: the signature is
    # sound over the bytes, but the certificate does not chain to the platform root.
    now = dt.datetime.now(dt.UTC)
    rogue_ca = pki.create_root_ca("Rogue Root", organisation="Rogue", not_before=now - dt.timedelta(minutes=5), valid_days=30)
    rogue = pki.issue_signing_certificate(
        rogue_ca, "forger", organisation=world.beijing.credit_code, not_before=now - dt.timedelta(minutes=5), valid_days=30
    )
    signer = Signer.from_pem(rogue.key_pem, rogue.cert_pem)
    raw = build_record("certificate", BODY, province="11", seq=1, signer=signer)
    assert apply_record(raw) == "refused"
    assert _refusals("federation.untrusted_signer") == ["11:1"]
    assert not FederatedCertificate.objects.exists() and not AppliedRecord.objects.exists()


def test_another_provinces_institution_cannot_sign_for_this_one(world):
    # A genuine platform key, but Zhejiang's institute claiming to be Beijing.
    raw = build_record("certificate", BODY, province="11", seq=1, signer=_signer(world.zhejiang))
    assert apply_record(raw) == "refused"
    assert _refusals("federation.wrong_institution") == ["11:1"]
    # Enrolled with a named institution, only that one signs for the province.
    ProvinceStatus.objects.create(code="33", institution_credit_code=world.centre.credit_code)
    zj = build_record("certificate", {**BODY, "number": "ZJ-X"}, province="33", seq=1, signer=_signer(world.zhejiang))
    assert apply_record(zj) == "refused"
    assert not FederatedCertificate.objects.exists()


def test_a_revoked_key_signs_nothing_after_revocation(world):
    key = keys.usable_key(world.beijing)
    signer = keys.signer_for(key, "seal")
    # Fresh from the database: a just-created key's status is an enum member, which the
    # ledger's canonical JSON does not take (revoke_signing_key records the old status).
    keys.revoke_signing_key(type(key).objects.get(pk=key.pk))
    raw = build_record("certificate", BODY, province="11", seq=1, signer=signer)
    assert apply_record(raw) == "refused"
    assert _refusals("federation.revoked_key") == ["11:1"]


def test_malformed_unknown_kind_and_bad_body_are_refused(world):
    signer = _signer(world.beijing)
    assert apply_record(b"not json") == "refused"
    assert apply_record(b"[" * 100000 + b"]" * 100000) == "refused"  # too deep for the parser
    assert apply_record(b'{"format": NaN}') == "refused"
    assert apply_record(build_record("no_such_kind", {}, province="11", seq=1, signer=signer)) == "refused"
    assert apply_record(build_record("certificate", {"number": 5}, province="11", seq=2, signer=signer)) == "refused"
    rules = set(RefusedRecord.objects.values_list("rule", flat=True))
    assert rules == {"federation.malformed", "federation.unknown_kind", "federation.invalid_body"}
    assert not AppliedRecord.objects.exists()


def test_high_water_mark_waits_for_the_missing_record(world):
    signer = _signer(world.beijing)
    raws = {
        seq: build_record("certificate", {**BODY, "number": f"BJ-{seq}"}, province="11", seq=seq, signer=signer)
        for seq in (1, 2, 3)
    }
    assert apply_record(raws[1]) == "applied"
    assert apply_record(raws[3]) == "applied"
    status = ProvinceStatus.objects.get(code="11")
    assert (status.applied_through, status.highest_seq, status.lag) == (1, 3, 2)
    assert apply_record(raws[2]) == "applied"
    status.refresh_from_db()
    assert (status.applied_through, status.lag) == (3, 0)


def test_other_apps_register_kinds_and_a_handler_refusal_applies_nothing(world):
    seen = []

    @handler("test_kind")
    def apply_test(record):
        seen.append(record.id)
        FederatedCertificate.objects.create(
            province="11", number="half-done", kind="x", issuer="x", performed_on=dt.date(2026, 1, 1)
        )
        if record.body.get("bad"):
            raise RecordRefused("federation.invalid_body", "bad")

    try:
        signer = _signer(world.beijing)
        assert apply_record(build_record("test_kind", {"bad": True}, province="11", seq=1, signer=signer)) == "refused"
        assert not FederatedCertificate.objects.exists()  # the handler's half-done write rolled back
        assert apply_record(build_record("test_kind", {}, province="11", seq=2, signer=signer)) == "applied"
        assert seen == ["11:1", "11:2"]
    finally:
        HANDLERS.pop("test_kind")
