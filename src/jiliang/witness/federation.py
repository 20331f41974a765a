"""The witness log over the federation: a province publishes its checkpoint as a change
record of kind ``ledger_checkpoint`` (signed again, as every record is, with the
institution's key of the platform PKI); the centre applies it by ``accept_checkpoint``.

A record whose body is not a submission is refused by the federation
(``federation.invalid_body``: nothing applied). A well-formed submission that the witness
refuses — a forged checkpoint signature, a ledger that did not only grow — is applied as a
refusal: it is kept in the witness's ``Refusal`` table (the province's own signed evidence)
and the record counts as processed, so a replay changes nothing."""

from __future__ import annotations

import logging

from jiliang.federation import outbox
from jiliang.federation.apply import handler
from jiliang.federation.records import Record, RecordRefused

from . import services

log = logging.getLogger(__name__)


def publish(submission: services.Submission) -> int:
    """Queue a province's submission for the centre; the record's sequence number."""
    return outbox.enqueue(services.RECORD_KIND, submission.to_json(), key=f"ledger:{submission.province}")


@handler(services.RECORD_KIND)
def apply_ledger_checkpoint(record: Record) -> None:
    try:
        submission = services.Submission.from_json(record.body)
    except services.WitnessRefused as exc:
        raise RecordRefused("federation.invalid_body", str(exc)) from None
    if submission.province != record.province:
        raise RecordRefused(
            "federation.invalid_body", f"a checkpoint of province {submission.province} sent by {record.province}"
        )
    try:
        services.accept_checkpoint(record.province, submission.body, submission.signature, submission.consistency_path)
    except services.WitnessRefused as exc:
        log.warning("witness refused %s's checkpoint (%s): %s", record.province, exc.code, exc.reason)
