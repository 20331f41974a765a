"""`jiliang dcc build|validate|sign|verify|render`: digital calibration certificates
(PTB DCC: built as 3.3.0 with D-SI 2.2.1; read and validated in every version whose XSD
ships with the platform) from the command line. File I/O lives here; the work is
done by the pure core in ``jiliang.core.dcc``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from jiliang.certificates.reasons import localise
from jiliang.cli_io import read_bytes, reading
from jiliang.core.dcc import pki
from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.errors import DccError, SchemaError
from jiliang.core.dcc.model import record_from_dict
from jiliang.core.dcc.parse import parse_dcc
from jiliang.core.dcc.render import render_html
from jiliang.core.dcc.sample import sample_record
from jiliang.core.dcc.schema import DCC_VERSION, SUPPORTED_VERSIONS, parse_xml, validate_schema
from jiliang.core.dcc.sign import Signer, sign_dcc
from jiliang.core.dcc.verify import verify_dcc


class Command(BaseCommand):
    help = "digital calibration certificates (数字校准证书, PTB DCC)"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="dcc_command", metavar="ACTION", required=True)

    p = sub.add_parser("build", help="build a DCC from a JSON certificate record")
    p.add_argument("record", help="JSON record file ('-' reads standard input)")
    p.add_argument("-o", "--output", help="write the XML here (default: standard output)")
    p.set_defaults(func=_naming_the_file(run_build, "record"))

    p = sub.add_parser("example-record", help="print an example JSON certificate record (for build)")
    p.add_argument("--results", type=int, default=3, help="number of calibration points (default 3)")
    p.set_defaults(func=run_example_record)

    p = sub.add_parser(
        "validate",
        help=f"check a DCC against the XSD of the DCC version it declares ({', '.join(SUPPORTED_VERSIONS)}) and its D-SI units",
    )
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_naming_the_file(run_validate, "file"))

    p = sub.add_parser("parse", help="print a DCC (2.2 and later) as JSON")
    p.add_argument("file")
    p.set_defaults(func=_naming_the_file(run_parse, "file"))

    p = sub.add_parser("sign", help="append an enveloped XAdES-BES signature (ECDSA P-256/SHA-256 or SM2/SM3, as the key is)")
    p.add_argument("file")
    p.add_argument("--key", required=True, help="PKCS#8 PEM private key")
    p.add_argument("--cert", required=True, help="PEM signing certificate, optionally followed by its chain")
    p.add_argument("--password-env", dest="password_env", metavar="VAR", help="environment variable holding the key's passphrase")
    p.add_argument("--role", help="signer role recorded in the signature (verifier, checker, approver)")
    p.add_argument("--time", help="signing time, ISO 8601 with zone (default: now, UTC)")
    p.add_argument("-o", "--output", help="write the signed XML here (default: overwrite FILE)")
    p.set_defaults(func=_naming_the_file(run_sign, "file"))

    p = sub.add_parser("verify", help="check schema, signatures, signer chain at the signing time and revocation")
    p.add_argument("file")
    p.add_argument("--trust", action="append", default=[], metavar="CA.pem", help="trust anchor(s); repeatable")
    p.add_argument(
        "--intermediate",
        action="append",
        default=[],
        metavar="CERT.pem",
        help="extra certificates to build the signer's path; repeatable",
    )
    p.add_argument(
        "--crl",
        action="append",
        default=[],
        metavar="CRL.pem",
        help="revocation list, checked against the --trust certificates; repeatable",
    )
    p.add_argument("--revoked", action="append", default=[], metavar="SERIAL", help="revoked serial (hex); repeatable")
    p.add_argument("--expect-id", dest="expect_id", help="the unique identifier the certificate must carry")
    p.add_argument(
        "--require-role",
        dest="require_role",
        action="append",
        default=[],
        help="a role that must have signed (verifier, checker, approver); repeatable",
    )
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=_naming_the_file(run_verify, "file"))

    p = sub.add_parser("render", help="render a DCC as a standalone HTML page")
    p.add_argument("file")
    p.add_argument("--lang", default="zh", help="preferred language (default zh)")
    p.add_argument("-o", "--output", help="write the HTML here (default: standard output)")
    p.set_defaults(func=_naming_the_file(run_render, "file"))


def _read_bytes(path: str) -> bytes:
    return read_bytes(path)


def _naming_the_file(run, attribute: str):
    """``run`` with its refusals located in the file it was given (``args.<attribute>``)."""

    def wrapped(options) -> int:
        with reading(options[attribute]):
            return run(options)

    return wrapped


def _write(data: bytes, output: str | None) -> None:
    if output:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def run_build(options) -> int:
    try:
        data = json.loads(_read_bytes(options["record"]))
    except json.JSONDecodeError as exc:
        raise DccError(f"not JSON ({exc})", code="file_bad_json", msg=exc.msg, line=exc.lineno) from None
    xml = build_dcc(record_from_dict(data))
    report = validate_schema(xml)
    if not report.valid:
        raise DccError(
            f"built document is not valid DCC {DCC_VERSION}: {report.errors[0]}",
            code="dcc_schema_invalid",
            version=DCC_VERSION,
            errors=report.errors[0],
        )
    _write(xml, options["output"])
    return 0


def run_example_record(options) -> int:
    print(json.dumps(dataclasses.asdict(sample_record(options["results"])), ensure_ascii=False, indent=2, default=str))
    return 0


def run_validate(options) -> int:
    data = _read_bytes(options["file"])
    try:
        report = validate_schema(data)
    except SchemaError as exc:
        if exc.code != "dcc_version_unsupported":
            raise
        # Not an error of the tool: the document's version has no XSD here. Said as such.
        from jiliang import messages

        if options["json"]:
            payload = {
                "file": options["file"],
                "valid": False,
                "version": exc.params["version"],
                "supported": list(SUPPORTED_VERSIONS),
                "schema_errors": [messages.reason(exc, messages.cli_language())],
                "unit_errors": [],
            }
            print(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            print(f"{options['file']}: NOT valid")
            print(f"  {messages.reason(exc, messages.cli_language())}")
        return 1
    problems = parse_dcc(data)["unit_problems"] if report.valid else []
    valid = report.valid and not problems
    if options["json"]:
        print(
            json.dumps(
                {
                    "file": options["file"],
                    "valid": valid,
                    "version": report.version,
                    "schema_errors": list(report.errors),
                    "unit_errors": problems,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(f"{options['file']}: {'valid' if valid else 'NOT valid'} (DCC {report.version}, D-SI {report.dsi_version})")
        for line in [*report.errors, *problems]:
            print(f"  {line}")
    return 0 if valid else 1


def run_parse(options) -> int:
    print(json.dumps(parse_dcc(_read_bytes(options["file"])), ensure_ascii=False, indent=2))
    return 0


def _parse_time(text: str | None) -> dt.datetime:
    if not text:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise DccError(
            f"{text!r} is not an ISO 8601 date-time", field="--time", code="dcc_time_not_iso", got=repr(text)
        ) from None
    if moment.tzinfo is None:
        raise DccError(f"{text!r} has no time zone", field="--time", code="dcc_time_no_zone", got=repr(text))
    return moment


def run_sign(options) -> int:
    passphrase = None
    if options["password_env"]:
        value = os.environ.get(options["password_env"])
        if value is None:
            raise DccError(
                f"environment variable {options['password_env']} is not set",
                field="--password-env",
                code="env_not_set",
                name=options["password_env"],
            )
        passphrase = value.encode()
    signer = Signer.from_pem(
        Path(options["key"]).read_bytes(), Path(options["cert"]).read_bytes(), passphrase, role=options["role"]
    )
    signed = sign_dcc(parse_xml(_read_bytes(options["file"])), signer, _parse_time(options["time"]))
    _write(signed, options["output"] or options["file"])
    return 0


def run_verify(options) -> int:
    anchors = [c for path in options["trust"] for c in pki.load_certificates(Path(path).read_bytes())]
    intermediates = [c for path in options["intermediate"] for c in pki.load_certificates(Path(path).read_bytes())]
    revoked: set = {s.lower().lstrip("0") or "0" for s in options["revoked"]}
    for path in options["crl"]:
        crl = Path(path).read_bytes()
        for anchor in anchors:
            try:
                revoked |= {f"{serial:x}" for serial in pki.revoked_serials(crl, pki.certificate_pem(anchor))}
                break
            except DccError:
                continue
        else:
            raise DccError("not signed by any --trust certificate", field=f"--crl {path}", code="signing_crl_untrusted")
    verdict = verify_dcc(
        _read_bytes(options["file"]),
        trust_anchors=anchors,
        intermediates=intermediates,
        revoked=revoked or None,
        expected_identifier=options["expect_id"],
        required_roles=options["require_role"],
    )
    if options["json"]:
        print(json.dumps({"file": options["file"], **verdict.to_dict()}, ensure_ascii=False, indent=2))
    else:

        def yes(ok):
            return "yes" if ok else "NO"

        print(f"{options['file']}: {'VALID' if verdict.valid else 'NOT VALID'} ({verdict.unique_identifier})")
        print(f"  schema valid:      {yes(verdict.schema_valid)}" + (f" ({verdict.schema_note})" if verdict.schema_note else ""))
        print(f"  signature valid:   {yes(verdict.signature_valid)}")
        print(f"  chain valid:       {yes(verdict.chain_valid)} (at the signing time)")
        print(f"  revoked:           {'YES' if verdict.revoked else 'no'}")
        if verdict.identifier_matches is not None:
            print(f"  matches record:    {yes(verdict.identifier_matches)}")
        for s in verdict.signatures:
            print(f"  signature {s.index}: {s.signer} {s.role or ''} at {s.signing_time}")
        # The core words its reasons in English; the operator reads them in their language
        # (the CLI runs under jiliang.messages.cli_language), as the check page shows them.
        for reason in verdict.reasons:
            print(f"  - {localise(reason)}")
    return 0 if verdict.valid else 1


def run_render(options) -> int:
    _write(render_html(_read_bytes(options["file"]), lang=options["lang"]).encode("utf-8"), options["output"])
    return 0
