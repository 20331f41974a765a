"""The reasons of a certificate check in the page's language (certificates/reasons.py):
every sentence shape the core and the registry comparison write is recognised, so the
Chinese page shows no English reason, and the English page shows the core's own words."""

from __future__ import annotations

import pytest
from django.utils import translation

from jiliang.certificates.reasons import localise

# One instance of every sentence shape, as core/dcc/verify.py, core/dcc/chain.py and
# certificates/services.py write them.
SAMPLES = [
    "signature: the document is not signed",
    "signature: no valid signature by the checker, approver",
    "signature 1: signature: no (single) referenced xades:SignedProperties",
    "signature 1: signature: cannot read its certificates",
    "signature 2: signature: signing certificate not found in KeyInfo",
    "signature 1: signature: no XAdES SigningTime",
    'signature 1: signature: does not cover the whole document (no enveloped reference URI="")',
    "signature 3: signature does not match (digest of reference 1 differs)",
    "signature 1: malformed signature (ValueError: bad base64)",
    "signature 1: chain: no trust anchors given",
    "signature 1: chain: certificate path too long",
    "signature 1: chain: CN=Verifier,O=Lab: key usage does not allow signatures",
    "signature 2: chain: CN=Verifier,O=Lab: not valid at 2026-01-02T00:00:00+00:00 (valid 2024-01-01T00:00:00+00:00 to 2025-01-01T00:00:00+00:00)",
    "signature 1: chain: CN=Verifier,O=Lab: issuer CN=Some CA not found among the trust anchors or signature certificates",
    "signature 1: chain: CN=Lab CA: not a CA certificate",
    "signature 1: revoked: key compromise",
    "revoked: certificate JDZS2026-00003-000001 was revoked on 2026-11-01T08:00:00+00:00: wrong instrument",
    "schema: not valid DCC 3.3.0: line 12: Element 'dcc:foo': This element is not expected.",
    "record: no certificate 'NO-SUCH' in the registry",
    "record: unique identifier 'A' does not match the expected 'B'",
    "record: the document is not the one issued as JDZS2026-00003-000001 (SHA-256 differs from the registry's)",
    "record: cannot read the document (not XML)",
    "record: the document is certificate 'A', the registry's record is 'B'",
    "record: performance date 2026-01-01 differs from the registry's 2026-01-02",
    "record: the item is not instrument JL0000000001",
    "record: the verdict ['fail'] differs from the registry's (pass)",
    "record: the measured values differ from the registry's",
    "record: number, valid_until differ from the registry's",  # assessment/certificate.py (计量标准考核证书)
    # The core's refusals of the document itself (core/dcc/schema.py, parse.py, crypto.py).
    "document: not well-formed XML (Start tag expected, '<' not found, line 1, column 1)",
    "document: a DOCTYPE declaration (DTD or entities) is not allowed in a DCC",
    "schema: DCC schema version 9.9.9 is not supported; supported: 3.3.0, 3.2.1",
    "record: cannot read the document (document: root element is '{urn:x}foo', not dcc:digitalCalibrationCertificate)",
    "signature 1: SignatureMethod 'urn:example:rot13' is not supported",
]
LATIN_WORDS = ("signature", "chain", "record", "schema", "revoked", "document", "registry", "valid", "not ")


@pytest.mark.parametrize("reason", SAMPLES)
def test_every_reason_reads_in_chinese_and_english(reason):
    with translation.override("zh-hans"):
        chinese = localise(reason)
    assert chinese != reason
    # What remains in Latin letters are the quoted values (names, numbers, XML), not words of the sentence.
    assert not any(word in chinese.replace("xades:SignedProperties", "") for word in LATIN_WORDS[:6]), chinese
    with translation.override("en"):
        # The English page shows the core's own sentence (the signer roles by their names).
        assert localise(reason).lower() == reason.lower()


def test_a_nested_reason_keeps_its_parts():
    with translation.override("zh-hans"):
        text = localise("signature 2: chain: CN=Lab CA: not a CA certificate")
    assert text == "签名 2：证书链：CN=Lab CA：不是 CA 证书"


def test_a_sentence_of_no_known_shape_keeps_its_words_after_a_translated_prefix():
    with translation.override("zh-hans"):
        assert localise("schema: something new") == "格式：something new"
        assert localise("entirely unknown") == "entirely unknown"
