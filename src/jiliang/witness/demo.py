"""The demo's witness log: the demo instance plays its province and the national centre at
once. The province's checkpoint key is made, the centre registers it; two checkpoints of
the demo's audit ledger are witnessed (the second with its consistency proof from the
first), and one forged checkpoint (signed with a key the centre does not know) is refused,
so the page shows the log, its proofs and a refusal. Hooked into the demo by one line
(``console.demo_activity``)."""

from __future__ import annotations

from django.conf import settings

from jiliang.audit import checkpoints
from jiliang.audit.recording import record

from . import services


def plant_witness(cast) -> None:
    code = cast.province.code[:2]
    private, public = checkpoints.generate_key(settings.JILIANG_SIGNATURE_ALGORITHM)
    services.register_province(code, cast.province.name, public.decode("ascii"))
    first = services.make_submission(private, code)
    services.accept_checkpoint(code, first.body, first.signature, first.consistency_path)
    record("other", "witness.demo", actor="demo", new={"note": "ledger grows between two checkpoints"})
    second = services.make_submission(private, code)
    services.accept_checkpoint(code, second.body, second.signature, second.consistency_path)
    stranger, _ = checkpoints.generate_key(settings.JILIANG_SIGNATURE_ALGORITHM)
    try:
        services.accept_checkpoint(code, second.body, checkpoints.sign_payload(second.body, stranger), [])
    except services.WitnessRefused:
        pass  # kept as a refusal: what a supervisor sees on the page
