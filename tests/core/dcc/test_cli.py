"""`jiliang dcc …` end to end through the main CLI, on files in a temporary folder."""

import datetime as dt
import json
import re

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


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("zh_CN.UTF-8", "签名 1：签名与文件内容不吻合（"), ("C.UTF-8", "signature 1: signature does not match (")],
)
def test_verify_states_its_reasons_in_the_operators_language(tmp_path, capsys, monkeypatch, lang, expected):
    for name in ("JILIANG_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)
    ca = tmp_path / "ca.pem"
    ca.write_bytes(
        (DATA / "certs" / "calibration-community-root-ca-01.crt").read_bytes()
        + (DATA / "certs" / "calibration-community-sub-ca-01.crt").read_bytes()
    )
    signed = DATA / "dcc-3.2.0_gp-temperature-typical-v12_xades-signed.xml"
    tampered = tmp_path / "t.xml"
    tampered.write_bytes(signed.read_bytes().replace(b"<si:valueXMLList>0.072", b"<si:valueXMLList>0.082", 1))
    assert main(["dcc", "verify", str(tampered), "--trust", str(ca)]) == 1
    reasons = [line[4:] for line in capsys.readouterr().out.splitlines() if line.startswith("  - ")]
    assert reasons and any(r.startswith(expected) for r in reasons), reasons
    if lang.startswith("zh"):
        assert not any("does not match" in r for r in reasons)


def test_errors_are_one_line(tmp_path, keys, capsys, monkeypatch):
    bad = tmp_path / "bad.json"
    bad.write_text('{"unique_identifier": "X"}', encoding="utf-8")
    assert main(["dcc", "build", str(bad)]) == 2
    assert capsys.readouterr().err.strip().startswith(f"jiliang: error: {bad}, record.software: required")
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


def test_validate_checks_an_older_document_against_its_own_version(capsys):
    # PTB's 3.1.1 example was "NOT valid" against the 3.3.0 XSD only for its schemaVersion.
    assert main(["dcc", "validate", str(DATA / "dcc-3.1.1_gp-temperature-simplified-v12.xml"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] and report["version"] == "3.1.1" and report["schema_errors"] == []
    assert main(["dcc", "validate", str(DATA / "dcc-3.1.2_gp-humidity-v1.0.xml")]) == 0
    assert "valid (DCC 3.1.2, D-SI 2.1.0)" in capsys.readouterr().out
    # PTB's 3.0.0 mass example passes its XSD; the D-SI unit check (which no XSD does) still
    # finds the misspelt \degreeCelsius (D-SI writes \degreecelsius).
    assert main(["dcc", "validate", str(DATA / "dcc-3.0.0_mass-example.xml"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == "3.0.0" and report["schema_errors"] == []
    assert len(report["unit_errors"]) == 4 and all("\\degreeCelsius" in e for e in report["unit_errors"])


def _declared(tmp_path, version: str) -> str:
    """PTB's mass example (first published for DCC 2.4.0; shipped in its LGPL 3.0.0 edition, see
    data/LICENSE-NOTES.md) declaring ``version``."""
    text = (DATA / "dcc-3.0.0_mass-example.xml").read_text(encoding="utf-8")
    path = tmp_path / f"mass-{version}.xml"
    path.write_text(text.replace('schemaVersion="3.0.0"', f'schemaVersion="{version}"', 1), encoding="utf-8")
    return str(path)


def test_validate_names_an_unsupported_version_in_both_languages(tmp_path, capsys, monkeypatch):
    path = _declared(tmp_path, "2.4.0")
    monkeypatch.setenv("JILIANG_LANG", "en")
    assert main(["dcc", "validate", path]) == 1
    out = capsys.readouterr().out
    assert "NOT valid" in out
    assert "DCC schema version 2.4.0 is not supported; supported: 3.0.0, 3.1.0, 3.1.1, 3.1.2, 3.2.0, 3.2.1, 3.3.0" in out
    monkeypatch.setenv("JILIANG_LANG", "zh")
    assert main(["dcc", "validate", path, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["valid"] and report["version"] == "2.4.0" and "3.2.0" in report["supported"]
    assert report["schema_errors"] == ["不支持 DCC 模式版本 2.4.0；支持的版本：3.0.0, 3.1.0, 3.1.1, 3.1.2, 3.2.0, 3.2.1, 3.3.0"]


def test_render_reads_a_2x_document(tmp_path):
    out = tmp_path / "mass.html"
    assert main(["dcc", "render", _declared(tmp_path, "2.4.0"), "--lang", "en", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "(DCC 2.4.0)" in html and "Physikalisch-Technische Bundesanstalt" in html
    assert "DCC schema version 2.4.0 is not supported (no XSD to validate it against)" in html
    # Its results are lists of single values (nominal value, marking, mass with U and k): a table row each.
    assert "<th>nominal value / Nennwert</th>" in html and "<td class=n>10 g</td>" in html
    assert "<td class=n>18L</td><td class=n>0.010000006</td><td class=n>4e-09</td><td class=n>2</td>" in html


def test_render_prints_a_list_result_as_a_table_with_its_index_columns(tmp_path):
    out = tmp_path / "gp.html"
    assert main(["dcc", "render", str(DATA / "dcc-3.1.1_gp-temperature-simplified-v12.xml"), "--lang", "en", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    table = html[html.index('<table class="result-list">') :]
    table = table[: table.index("</table>")]
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", table)
    assert heads[0].startswith("Reference value / Bezugswert [K") and heads[2].startswith("Indicated measured value probe")
    assert heads[4].startswith("Measurement error / Messabweichung [K") and heads[5].startswith("U [K") and heads[6] == "k"
    rows = re.findall(r"<tr>((?:<td[^>]*>[^<]*</td>)+)</tr>", table)
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows]
    # PTB's five calibration points: reference 306.248 K (33.098 °C), indication 306.32 K, error 0.072 K, U 0.061 K, k 2.
    assert len(cells) == 5
    assert cells[0] == ["306.248", "33.098", "306.32", "33.17", "0.072", "0.061", "2"]
    assert [row[4] for row in cells] == ["0.072", "0.089", "0.107", "-0.009", "-0.084"]
    assert "0.072 0.089" not in html  # no longer one space-separated cell


def test_parse_prints_json(capsys):
    assert main(["dcc", "parse", str(DATA / "dcc-3.3.0_gp-temperature-simplified.xml")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unique_identifier"] == "1234" and data["schema_version"] == "3.3.0"
