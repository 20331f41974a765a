"""Appending to the audit ledger, and verifying it.

How other code uses it
----------------------

Writes through the ORM to a tracked model (every registry model; other apps add theirs
with ``track(Model)``) are recorded automatically by signal handlers: create, update,
delete, and ``status_change`` when a status field changes. Who did it and why come from
the surrounding ``audit_context``::

    from jiliang.audit.services import audit_context

    with transaction.atomic(), audit_context(actor=request.user, reason="期间核查不合格"):
        standard.status = "suspended"
        standard.save()

``actor`` is a user (its pk and user name are recorded) or a string naming a system job
("cli:import"); without one the actor is "system". A status change of a measurement
standard without a reason is refused with ``ReasonRequired`` (a ``ValidationError`` on the
field ``reason``) before anything is written; so is an explicit ``revoke``. Wrap the write
and its entry in one ``transaction.atomic()`` so they commit together (``AuditContextMiddleware``
in ``jiliang.audit.middleware`` sets the actor of every request).

Explicit entries (a certificate revoked, a login, an export) use ``record``::

    record("revoke", certificate, actor=user, old={"status": "issued"}, new={"status": "revoked"}, reason="…")
    record("import", "registry.instrument", actor="cli:import", new={"file": "a.csv", "rows": 120})

and bulk loads, which bypass the signals, must put every row they write on the ledger:
one entry per row with ``record_many`` (hashes chained in memory, entries written with
COPY / executemany), or — for thousands of rows and more — batches with ``record_batches``:
one entry per 100,000 rows whose digest is the Merkle root of the rows' digests, the digests
kept as leaves so verify can name the row that changed::

    record_many("import", Instrument, [{"id": 17, ...}, ...], actor="cli:import")
    record_batches("import", Instrument, pks=new_ids, actor="cli:import")
    record_batches("create", Instrument, first_pk=first_id_written, actor="cli:generate")

A whole model emptied with set-based SQL is one ``delete`` entry without an object id
(``record("delete", Model, new={"rows": n})``): it ends everything recorded of the model.

Mass saves or deletes through the ORM can hold their entries back and append them in one
go: ``with transaction.atomic(), audit_context(actor=…, bulk=True): …``.

``verify()`` walks the chain and checks every live row of every tracked model (a row
without an entry is reported as much as a changed or deleted one, and derived columns are
recomputed where the model says how: ``Model.derived_mismatches()``); ``make_checkpoint()`` exports the head;
``rebaseline(Model, reason=…)`` records fresh row digests after a migration that changed
a tracked model's columns. Queryset ``update()`` and ``bulk_create`` on tracked models
bypass the signals: the rows they change are reported by ``verify`` as changed outside
the application, so services must write through ``save()`` or call ``record`` /
``record_many`` / ``record_batches`` themselves.

The modules: ``context`` (who and why), ``chain`` (appending under the head lock), ``rows``
(what a digest covers), ``recording`` (explicit entries), ``batches`` (bulk batches),
``capture`` (the signal handlers), ``verify``, ``checkpoints``, ``feed`` (the ledger as a
change feed) and ``cli``. This module gathers their public names.

For the API: ``ReasonRequired`` is a Django ``ValidationError`` (``error_dict`` has the
field ``reason``); turn it into a 400 with ``rest_framework.exceptions.ValidationError(
exc.message_dict)``. ``models.LedgerImmutable`` is a ``PermissionDenied`` (403).
"""

from .batches import BATCH_ROWS, baseline, record_batches
from .capture import track, track_default_models
from .chain import BULK_CHUNK, ENTRY_COLUMNS
from .checkpoints import CHECKPOINT_FORMAT, load_checkpoint, make_checkpoint, verify_signature
from .context import SYSTEM_ACTOR, AuditContext, audit_context, current_context
from .recording import ACTIONS, REASON_REQUIRED_ACTIONS, ReasonRequired, rebaseline, record, record_many
from .rows import columns, object_type_of, read_row
from .tracked import tracked_models
from .verify import VerifyReport, _walk_range, verify

__all__ = [
    "ACTIONS",
    "BATCH_ROWS",
    "BULK_CHUNK",
    "CHECKPOINT_FORMAT",
    "ENTRY_COLUMNS",
    "REASON_REQUIRED_ACTIONS",
    "SYSTEM_ACTOR",
    "AuditContext",
    "ReasonRequired",
    "VerifyReport",
    "_walk_range",
    "audit_context",
    "baseline",
    "columns",
    "current_context",
    "load_checkpoint",
    "make_checkpoint",
    "object_type_of",
    "read_row",
    "rebaseline",
    "record",
    "record_batches",
    "record_many",
    "track",
    "track_default_models",
    "tracked_models",
    "verify",
    "verify_signature",
]
