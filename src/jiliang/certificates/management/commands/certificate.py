"""`jiliang certificate issue|revoke|check|verify-pdf|ca init`: the platform's signed certificates
(the registry-backed side of `jiliang dcc`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from jiliang.certificates import keys, pades, services
from jiliang.certificates.models import Certificate
from jiliang.certificates.reasons import localise
from jiliang.core.dcc import pki
from jiliang.registry.models import CalibrationEvent, Person


class Command(BaseCommand):
    help = "issue, revoke and check the platform's signed certificates (数字证书)"
    requires_system_checks = []

    def add_arguments(self, parser):
        add_arguments(parser)

    def handle(self, *args, **options):
        code = options["func"](options)
        if code:
            raise SystemExit(code)


def add_arguments(parser) -> None:
    sub = parser.add_subparsers(dest="certificate_command", metavar="ACTION", required=True)

    p = sub.add_parser("issue", help="issue the signed DCC of a recorded verification or calibration")
    p.add_argument("event", metavar="EVENT_CERT_NUMBER", help="the calibration event's certificate number")
    p.add_argument("--verifier", type=int, required=True, metavar="ID", help="person id of the verifier (检定员)")
    p.add_argument("--checker", type=int, required=True, metavar="ID", help="person id of the checker (核验员)")
    p.add_argument("--approver", type=int, required=True, metavar="ID", help="person id of the approver (批准人)")
    p.add_argument("--unpublished", action="store_true", help="do not publish the certificate on the public pages")
    p.add_argument("--json", action="store_true", help="print the issued certificate as JSON")
    p.set_defaults(func=run_issue)

    p = sub.add_parser("revoke", help="revoke an issued certificate (listed in the revocation list)")
    p.add_argument("number")
    p.add_argument("--reason", required=True)
    p.set_defaults(func=run_revoke)

    p = sub.add_parser("check", help="check a certificate by its number or a DCC file")
    p.add_argument("target", metavar="NUMBER|FILE")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=run_check)

    p = sub.add_parser(
        "verify-pdf", help="check a certificate PDF: its PAdES signature against the platform roots, and the DCC attached"
    )
    p.add_argument("file", metavar="FILE", help="the PDF (- for standard input)")
    p.add_argument("--number", help="the certificate number the PDF is presented as (default: the attached DCC's)")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=run_verify_pdf)

    p = sub.add_parser("ca", help="the platform root certificate authority")
    ca_sub = p.add_subparsers(dest="ca_command", metavar="ACTION", required=True)
    q = ca_sub.add_parser("init", help="create the root CA (kept if one exists, unless --replace)")
    q.add_argument("--name", default="Jiliang Root CA")
    q.add_argument("--replace", action="store_true", help="make a new root; the old one stays a trust anchor")
    q.add_argument("--pem", metavar="FILE", help="also write the root certificate (PEM) here")
    q.add_argument(
        "--algorithm",
        choices=pki.ALGORITHMS,
        help="ecdsa-p256 (ECDSA P-256/SHA-256) or sm2-sm3 (SM2/SM3, GB/T 32918, GB/T 32905); "
        "default JILIANG_SIGNATURE_ALGORITHM. Keys under an older root are replaced when next used",
    )
    q.set_defaults(func=run_ca_init)


def run_issue(options) -> int:
    event = CalibrationEvent.objects.select_related("performer").filter(certificate_number=options["event"]).first()
    if event is None:
        raise SystemExit(f"jiliang: event: no calibration event numbered {options['event']!r}")
    signers = []
    for role in ("verifier", "checker", "approver"):
        person = Person.objects.filter(pk=options[role]).first()
        if person is None:
            raise SystemExit(f"jiliang: --{role}: no person with id {options[role]}")
        signers.append((person, role))
    cert = services.issue_certificate(event, signers, published=not options["unpublished"], actor="cli:certificate")
    if options["json"]:
        print(
            json.dumps(
                {
                    "number": cert.number,
                    "kind": cert.kind,
                    "sha256": cert.sha256,
                    "issued_at": cert.issued_at.isoformat(),
                    "signers": cert.signers,
                    "key_serial": cert.signing_key.serial,
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(f"issued {cert.get_kind_display()} {cert.number} (SHA-256 {cert.sha256}), signed by key {cert.signing_key.serial}")
    return 0


def run_revoke(options) -> int:
    cert = Certificate.objects.filter(number=options["number"]).first()
    if cert is None:
        raise SystemExit(f"jiliang: number: no certificate {options['number']!r}")
    cert = services.revoke_certificate(cert, options["reason"], actor="cli:certificate")
    print(f"revoked {cert.number} at {cert.revoked_at.isoformat()}: {cert.revocation_reason}")
    return 0


def run_check(options) -> int:
    path = Path(options["target"])
    if path.is_file():
        result = services.verify_uploaded(path.read_bytes())
    elif options["target"] == "-":
        result = services.verify_uploaded(sys.stdin.buffer.read())
    else:
        result = services.check_number(options["target"])
    return _report(result, options)


def run_verify_pdf(options) -> int:
    data = sys.stdin.buffer.read() if options["file"] == "-" else Path(options["file"]).read_bytes()
    if not pades.is_pdf(data):
        raise SystemExit(f"jiliang: {options['file']}: not a PDF file")
    return _report(services.verify_uploaded_pdf(data, options.get("number")), options)


def _report(result: services.CheckResult, options) -> int:
    data = result.to_dict()
    if options["json"]:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    elif not data["found"] and not data["signatures"] and not data["schema"]["errors"]:
        print(f"certificate {data['number']}: NOT FOUND")
        for reason in data["reasons"]:
            print(f"  - {localise(reason)}")
    else:
        mark = lambda ok: "ok" if ok else "FAIL"  # noqa: E731
        print(f"certificate {data['number']}: {'VALID' if data['valid'] else 'NOT VALID'}")
        print(f"  schema      {mark(data['schema']['valid'])}")
        print(f"  signature   {mark(data['signature']['valid'])}")
        print(f"  chain       {mark(data['chain']['valid'])}")
        print(f"  revoked     {'yes' if data['revoked'] else 'no'}")
        print(f"  registry    {'matches' if data['record_match'] else 'does not match'}")
        pdf = data["pdf"]
        if pdf is not None and pdf["signed"]:
            print(
                f"  PDF signature {mark(pdf['valid'])}  PAdES by {pdf['signer']} (key {pdf['key_serial']}), {pdf['signing_time']}"
            )
        elif pdf is not None:
            print("  PDF signature none (the attached DCC decides)")
        for reason in data["reasons"]:
            print(f"  - {localise(reason)}")
    return 0 if data["valid"] else 1


def run_ca_init(options) -> int:
    ca = keys.init_authority(options["name"], replace=options["replace"], algorithm=options.get("algorithm"))
    if options["pem"]:
        Path(options["pem"]).write_text(ca.cert_pem)
    print(f"root CA {ca.name} ({ca.algorithm}): serial {ca.serial}, valid until {ca.valid_until.date().isoformat()}")
    return 0
