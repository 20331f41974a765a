"""Sealing a submission's values until the pilot closes submissions.

A submission's row is audited: the ledger records the SHA-256 digest of the whole row after
every write, and the ledger is readable by the national administrator and the auditors
while the seal holds. A digest of plain values is a hash of a few guessable numbers (value
and u were recovered from it by brute force), so until the close the row holds no value at
all: value, u, dof, the budget and the budget file's name are one AES-256-GCM ciphertext
(random 96-bit nonce, so equal values never give equal rows or digests), under a random key
per submission that is kept in ``SubmissionKey`` — a table outside the audited row, outside
the ledger, the admin, the API and the exports. At the close the key is written into the
row (and into the ledger entry of the opening) beside the plain values: from then on anyone
holding the ledger can check that the ciphertext committed to before the close decrypts to
exactly the values used (``check_opened``).

A participant's results are confidential until the organiser releases them (ISO/IEC
17043:2023 §4.2, confidentiality).
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jiliang.audit.models import AuditEntry
from jiliang.audit.services import object_type_of, read_row
from jiliang.core import ledger

KEY_BYTES = 32
NONCE_BYTES = 12
PAD_TO = 256  # plaintexts are padded to a multiple of this: the length tells little about the budget
FORMAT = "aes256gcm/1"
# Columns that stay empty while a submission is sealed and are written at the close.
OPENED_FIELDS = ("value", "u", "dof", "budget", "budget_file_name", "seal_key")


class SealError(ValueError):
    """A sealed submission that cannot be opened: its key is missing or it was altered."""


@dataclass(frozen=True)
class Content:
    """What a participant submitted for one measurand."""

    value: float | None
    u: float | None
    dof: float | None = None
    budget: list = field(default_factory=list)
    budget_file_name: str = ""

    def to_json(self) -> dict:
        return {
            "value": self.value,
            "u": self.u,
            "dof": self.dof,
            "budget": self.budget,
            "budget_file_name": self.budget_file_name,
        }


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=8 * KEY_BYTES)


def associated_data(participant_id: int, measurand_id: int, revision: int) -> bytes:
    """Binds a ciphertext to its submission and revision: it cannot be moved to another row."""
    return f"jiliang.comparisons.submission:{participant_id}:{measurand_id}:{revision}".encode("ascii")


def seal(key: bytes, content: Content, aad: bytes) -> str:
    text = json.dumps(content.to_json(), ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % PAD_TO)  # JSON ignores trailing blanks
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, text, aad)
    return f"{FORMAT}:{base64.b64encode(nonce + ciphertext).decode('ascii')}"


def unseal(key: bytes, token: str, aad: bytes) -> Content:
    prefix, _, body = (token or "").partition(":")
    if prefix != FORMAT:
        raise SealError(f"unknown seal format {prefix!r} (expected {FORMAT!r})")
    try:
        raw = base64.b64decode(body, validate=True)
        text = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        data = json.loads(text)
    except (ValueError, InvalidTag) as exc:
        raise SealError(f"the sealed values do not open with this key ({type(exc).__name__})") from None
    return Content(
        value=data["value"],
        u=data["u"],
        dof=data.get("dof"),
        budget=data.get("budget") or [],
        budget_file_name=data.get("budget_file_name") or "",
    )


def check_opened(submission) -> list[str]:
    """Problems with an opened submission's seal, empty when the proof holds: the ledger's
    last entry before the opening digests this row as it was while sealed (the opened
    fields empty), and the ciphertext it committed to decrypts, with the key revealed at
    the close, to exactly the plain values now in the row."""

    if not submission.seal_key:
        return ["the submission is not opened (no key revealed)"]
    problems = []
    try:
        content = unseal(bytes.fromhex(submission.seal_key), submission.sealed, submission.aad())
    except (SealError, ValueError) as exc:
        return [str(exc)]
    if content != submission.plain_content():
        problems.append("the plain values differ from the sealed ones")
    row = read_row(type(submission), submission.pk)
    sealed_row = {**row, "value": None, "u": None, "dof": None, "budget": [], "budget_file_name": "", "seal_key": ""}
    entries = list(
        AuditEntry.objects.filter(object_type=object_type_of(type(submission)), object_id=str(submission.pk))
        .order_by("sequence")
        .values_list("new_values", "row_digest")
    )
    opening = next((i for i, (new, _) in enumerate(entries) if new and '"seal_key"' in new), None)
    if opening is None or opening == 0:
        problems.append("the ledger holds no entry of the sealed submission before its opening")
    elif entries[opening - 1][1] != ledger.row_digest(sealed_row):
        problems.append("the sealed row differs from the one the ledger recorded before the close")
    return problems
