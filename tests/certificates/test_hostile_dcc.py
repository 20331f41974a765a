"""Hostile DCCs (issue 16, item 5): a document type declaration with entities (XXE, billion
laughs, a parameter entity fetched from the network) is refused by name on every path that
reads an uploaded certificate: the verify API, the public check page and the import. It
crashed schema validation inside libxml2 ("Internal error in XML Schema validation") and
answered 500 to anonymous callers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from rest_framework.test import APIClient

from jiliang.certificates import services
from jiliang.certificates.models import Certificate
from jiliang.core.dcc import parse_dcc, validate_schema, verify_dcc
from jiliang.core.dcc.errors import SchemaError
from jiliang.registry import models as reg

DATA = Path(__file__).resolve().parent.parent / "core" / "dcc" / "data"
PLAIN = (DATA / "dcc-3.3.0_gp-temperature-simplified.xml").read_bytes()
ROOT = PLAIN.index(b"<dcc:digitalCalibrationCertificate")


def _with_doctype(declaration: bytes, reference: bytes = b"") -> bytes:
    body = PLAIN[ROOT:].replace(b"<dcc:uniqueIdentifier>1234", b"<dcc:uniqueIdentifier>" + reference + b"1234")
    return PLAIN[:ROOT] + declaration + body


HOSTILE = {
    "external entity (XXE)": _with_doctype(b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', b"&x;"),
    "internal entity": _with_doctype(b'<!DOCTYPE d [<!ENTITY x "y">]>', b"&x;"),
    "billion laughs": _with_doctype(
        b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        b"&c;",
    ),
    "parameter entity from the network": _with_doctype(b'<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]>'),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_core_refuses_a_doctype_by_name(name):
    for read in (parse_dcc, validate_schema):
        with pytest.raises(SchemaError, match="DOCTYPE") as caught:
            read(HOSTILE[name])
        assert caught.value.code == "xml_doctype"
    verdict = verify_dcc(HOSTILE[name])
    assert not verdict.valid and any("DOCTYPE" in r for r in verdict.reasons)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_verify_api_answers_a_verdict_naming_the_doctype(name):
    data = {"file": SimpleUploadedFile("dcc.xml", HOSTILE[name], content_type="application/xml")}
    response = APIClient().post("/api/certificates/verify/", data, format="multipart")
    assert response.status_code == 200, response.content[:300]
    verdict = response.json()
    assert verdict["valid"] is False and any("DOCTYPE" in r for r in verdict["reasons"])


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_the_public_check_page_answers_a_verdict_naming_the_doctype(name):
    upload = SimpleUploadedFile("dcc.xml", HOSTILE[name], content_type="application/xml")
    response = Client().post("/certificates/", {"file": upload})
    assert response.status_code == 200
    assert "DOCTYPE" in response.content.decode()


@pytest.mark.django_db
def test_import_refuses_a_doctype_and_writes_nothing(province):
    device = reg.Instrument.objects.filter(standard__isnull=False).order_by("code").first()
    lab = reg.Organisation.objects.filter(kind="legal_institute").order_by("id").first()
    events, certificates = reg.CalibrationEvent.objects.count(), Certificate.objects.count()
    for xml in HOSTILE.values():
        with pytest.raises(services.CertificateError, match="DOCTYPE"):
            services.import_external_dcc(xml, device, performer=lab)
    assert (reg.CalibrationEvent.objects.count(), Certificate.objects.count()) == (events, certificates)
