"""Importing an outside laboratory's DCC as a standard device's calibration (PTB's
published example certificates), and the `jiliang certificate` command."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import pytest

from jiliang.certificates import keys, services
from jiliang.certificates.models import Certificate, CertificateAuthority
from jiliang.commands import certificate as cli
from jiliang.core.dcc import pki
from jiliang.core.dcc.verify import MISMATCH
from jiliang.registry import models as reg

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "core" / "dcc" / "data"
PTB_SIGNED = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"
PTB_UNSIGNED = DATA / "dcc-3.3.0_gp-temperature-simplified.xml"
PTB_ROOT = DATA / "certs" / "calibration-community-root-ca-01.crt"
PTB_SUB = DATA / "certs" / "calibration-community-sub-ca-01.crt"
# Values of PTB's example (dcc-3.2.0_gp-temperature-typical-v12, "Messabweichung", in K).
PTB_ERRORS = [0.072, 0.089, 0.107, -0.009, -0.084]


@pytest.fixture
def device(province):
    return reg.Instrument.objects.filter(standard__isnull=False).select_related("standard__holder").order_by("code").first()


@pytest.fixture
def nim(province):
    return reg.Organisation.objects.filter(kind="legal_institute").order_by("id").first()


def _ptb_anchors():
    return [pki.load_certificate(PTB_ROOT.read_bytes())]


def test_import_of_ptbs_signed_example_attaches_an_event_with_its_values(device, nim):
    report = services.import_external_dcc(PTB_SIGNED.read_bytes(), device, performer=nim, trust_anchors=_ptb_anchors(),
                                          intermediates=[pki.load_certificate(PTB_SUB.read_bytes())], require_signature=True)
    event = report.event
    assert report.verdict.valid, report.verdict.reasons
    assert event.instrument == device and event.kind == "calibration"
    assert event.certificate_number == "GP_DCC_temperature_typical_1.2"
    assert event.performed_on == dt.date(1957, 8, 13)
    assert event.external_source == "Kalibrierfirma GmbH (DE)"
    errors = [r for r in event.results if r["ref_type"] == "basic_measurementError"]
    assert [r["value"] for r in errors] == PTB_ERRORS
    assert {r["unit"] for r in errors} == {"K"} and {r["dsi_unit"] for r in errors} == {"\\kelvin"}
    assert event.uncertainty == max(r["U"] for r in errors)
    cert = Certificate.objects.get(event=event)
    assert cert.external and bytes(cert.xml) == PTB_SIGNED.read_bytes()
    assert "document declares DCC 3.2.0; validated against the 3.3.0 XSD" in report.notes


def test_imported_certificate_checks_with_configured_anchors(device, nim, settings):
    services.import_external_dcc(PTB_SIGNED.read_bytes(), device, performer=nim, trust_anchors=_ptb_anchors(),
                                 intermediates=[pki.load_certificate(PTB_SUB.read_bytes())])
    settings.JILIANG_DCC_TRUST_ANCHORS = [str(PTB_ROOT), str(PTB_SUB)]
    result = services.check_number("GP_DCC_temperature_typical_1.2")
    assert result.valid, result.reasons
    settings.JILIANG_DCC_TRUST_ANCHORS = []
    untrusted = services.check_number("GP_DCC_temperature_typical_1.2")
    assert not untrusted.valid and not untrusted.verdict.chain_valid


def test_import_of_an_unsigned_dcc_is_noted(device, nim):
    report = services.import_external_dcc(PTB_UNSIGNED.read_bytes(), device, performer=nim)
    assert "unsigned DCC" in report.notes
    assert report.event.certificate_number == "1234"
    with pytest.raises(services.CertificateError, match="not signed"):
        services.import_external_dcc(PTB_UNSIGNED.read_bytes().replace(b">1234<", b">1235<"), device, performer=nim,
                                     require_signature=True)


def test_import_refuses_a_tampered_signed_dcc_and_writes_nothing(device, nim):
    forged = PTB_SIGNED.read_bytes().replace(b"0.072", b"0.073", 1)
    before = reg.CalibrationEvent.objects.count()
    with pytest.raises(services.CertificateError, match=MISMATCH):
        services.import_external_dcc(forged, device, performer=nim, trust_anchors=_ptb_anchors())
    assert reg.CalibrationEvent.objects.count() == before


def test_import_refuses_a_working_instrument_and_an_unknown_lab(device, province):
    working = province.working.instrument
    with pytest.raises(services.CertificateError, match="not the device of a measurement standard"):
        services.import_external_dcc(PTB_UNSIGNED.read_bytes(), working)
    with pytest.raises(services.CertificateError, match="no organisation named 'Kalibrierfirma GmbH'"):
        services.import_external_dcc(PTB_UNSIGNED.read_bytes(), device)


# --------------------------------------------------------------------------- CLI


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="jiliang")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_issue_check_revoke(province, capsys, tmp_path):
    assert _run(["certificate", "ca", "init", "--pem", str(tmp_path / "ca.pem")]) == 0
    assert CertificateAuthority.objects.filter(active=True).count() == 1  # kept, not replaced
    assert (tmp_path / "ca.pem").read_text() == keys.active_authority().cert_pem
    event = province.working
    (verifier, _), (checker, _), (approver, _) = province.signers(event)
    assert _run(["certificate", "issue", event.certificate_number, "--verifier", str(verifier.pk), "--checker", str(checker.pk),
                 "--approver", str(approver.pk)]) == 0
    capsys.readouterr()
    assert _run(["certificate", "check", event.certificate_number, "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] and [s["role"] for s in verdict["signatures"]] == ["verifier", "checker", "approver"]
    assert set(verdict) == {"valid", "number", "found", "status", "schema", "signature", "chain", "revoked", "revocation_reason",
                            "record_match", "signatures", "reasons"}
    path = tmp_path / "c.xml"
    path.write_bytes(bytes(Certificate.objects.get(number=event.certificate_number).xml).replace(b">pass<", b">fail<"))
    assert _run(["certificate", "check", str(path)]) == 1
    assert "signature does not match" in capsys.readouterr().out
    assert _run(["certificate", "revoke", event.certificate_number, "--reason", "误签"]) == 0
    assert _run(["certificate", "check", event.certificate_number, "--json"]) == 1
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["revoked"] is True
    with pytest.raises(SystemExit, match="no calibration event"):
        _run(["certificate", "issue", "NOPE", "--verifier", "1", "--checker", "2", "--approver", "3"])


def test_imported_ptb_certificate_renders_as_page_and_pdf(device, nim, client):
    from .helpers import embedded_files

    services.import_external_dcc(PTB_SIGNED.read_bytes(), device, performer=nim, trust_anchors=_ptb_anchors())
    page = client.get("/certificates/GP_DCC_temperature_typical_1.2/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Kalibrierfirma GmbH" in html and "0.072" in html and "-0.084" in html
    pdf = client.get("/certificates/GP_DCC_temperature_typical_1.2/pdf/").content
    assert embedded_files(pdf) == [PTB_SIGNED.read_bytes()]
