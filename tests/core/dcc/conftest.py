import datetime as dt
from pathlib import Path

import pytest

from jiliang.core.dcc import pki

DATA = Path(__file__).parent / "data"
UTC = dt.UTC
SIGNING_TIME = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def jiliang_pki():
    """A root CA and two institution signing certificates issued by it."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    ca = pki.create_root_ca("Jiliang Test Root CA", organisation="Jiliang", not_before=t0, passphrase=b"root-pw")
    inst = pki.issue_signing_certificate(
        ca, "ZJIM DCC signing", organisation="ZJIM", not_before=t0, ca_passphrase=b"root-pw", passphrase=b"inst-pw"
    )
    other = pki.issue_signing_certificate(ca, "Other lab", organisation="Other", not_before=t0, ca_passphrase=b"root-pw")
    return {"ca": ca, "inst": inst, "other": other, "anchor": pki.load_certificate(ca.cert_pem)}
