"""`jiliang dcc …` end to end through the main CLI, on files in a temporary folder."""

import datetime as dt
import json

import pytest

from jiliang.cli import main
from jiliang.core.dcc import pki

from .conftest import DATA, UTC


@pytest.fixture(scope="module")
def keys(tmp_path_factory, jiliang_pki):
    folder = tmp_path_factory.mktemp("pki")
    (folder / "ca.pem").write_bytes(jiliang_pki["ca"].cert_pem)
    (folder / "key.pem").write_bytes(jiliang_pki["inst"].key_pem)
    (folder / "cert.pem").write_bytes(jiliang_pki["inst"].cert_pem)
    leaf = pki.load_certificate(jiliang_pki["inst"].cert_pem)
    t = dt.datetime(2026, 6, 1, tzinfo=UTC)
    (folder / "crl.pem").write_bytes(
        pki.create_crl(
            jiliang_pki["ca"],
            {leaf.serial_number: t},
            this_update=t,
            next_update=t + dt.timedelta(days=90),
            ca_passphrase=b"root-pw",
        )
    )
    return folder


def test_build_sign_verify_render(tmp_path, keys, capsys, monkeypatch):
    record = tmp_path / "record.json"
    assert main(["dcc", "example-record", "--results", "2"]) == 0
    record.write_text(capsys.readouterr().out, encoding="utf-8")
    xml = tmp_path / "cert.xml"
    assert main(["dcc", "build", str(record), "-o", str(xml)]) == 0
    assert main(["dcc", "validate", str(xml)]) == 0
    assert "valid" in capsys.readouterr().out
    monkeypatch.setenv("DCC_KEY_PW", "inst-pw")
    for role in ("verifier", "checker", "approver"):
        assert (
            main(
                [
                    "dcc",
                    "sign",
                    str(xml),
                    "--key",
                    str(keys / "key.pem"),
                    "--cert",
                    str(keys / "cert.pem"),
                    "--password-env",
                    "DCC_KEY_PW",
                    "--role",
                    role,
                    "--time",
                    "2026-11-23T09:00:00Z",
                ]
            )
            == 0
        )
    assert (
        main(
            [
                "dcc",
                "verify",
                str(xml),
                "--trust",
                str(keys / "ca.pem"),
                "--json",
                "--require-role",
                "approver",
                "--expect-id",
                "JL-ZJ-2026-000123",
            ]
        )
        == 0
    )
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["valid"] and verdict["signature"]["valid"] and verdict["chain"]["valid"]
    assert [s["role"] for s in verdict["signatures"]] == ["verifier", "checker", "approver"]
    # Revoked through the CRL: exit 1 and the reason.
    assert main(["dcc", "verify", str(xml), "--trust", str(keys / "ca.pem"), "--crl", str(keys / "crl.pem")]) == 1
    assert "is revoked" in capsys.readouterr().out
    html = tmp_path / "cert.html"
    assert main(["dcc", "render", str(xml), "-o", str(html)]) == 0
    text = html.read_text(encoding="utf-8")
    assert "JL-ZJ-2026-000123" in text and "浙江省计量科学研究院" in text


def test_verify_ptb_example_and_tampered_copy(tmp_path, capsys):
    ca = tmp_path / "ca.pem"
    ca.write_bytes(
        (DATA / "certs" / "calibration-community-root-ca-01.crt").read_bytes()
        + (DATA / "certs" / "calibration-community-sub-ca-01.crt").read_bytes()
    )
    signed = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"
    assert main(["dcc", "verify", str(signed), "--trust", str(ca)]) == 0
    assert "VALID" in capsys.readouterr().out
    tampered = tmp_path / "t.xml"
    tampered.write_bytes(signed.read_bytes().replace(b"<si:valueXMLList>0.072", b"<si:valueXMLList>0.082", 1))
    assert main(["dcc", "verify", str(tampered), "--trust", str(ca)]) == 1
    assert "signature does not match" in capsys.readouterr().out


def test_errors_are_one_line(tmp_path, keys, capsys, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text('{"unique_identifier": "X"}', encoding="utf-8")
    assert main(["dcc", "build", str(bad)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"jiliang: error: {bad}: record.software: required")
    xml = tmp_path / "x.xml"
    xml.write_bytes((DATA / "dcc-3.3.0_gp-temperature-simplified.xml").read_bytes())
    monkeypatch.setenv("WRONG_PW", "nope")
    assert (
        main(
            [
                "dcc",
                "sign",
                str(xml),
                "--key",
                str(keys / "key.pem"),
                "--cert",
                str(keys / "cert.pem"),
                "--password-env",
                "WRONG_PW",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "wrong passphrase" in err


def test_validate_reports_older_version(capsys):
    assert main(["dcc", "validate", str(DATA / "dcc-3.1.1_gp-temperature-simplified-v12.xml"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["valid"] and "schemaVersion" in report["schema_errors"][0]


def test_parse_prints_json(capsys):
    assert main(["dcc", "parse", str(DATA / "dcc-3.3.0_gp-temperature-simplified.xml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unique_identifier"] == "1234" and data["schema_version"] == "3.3.0"
