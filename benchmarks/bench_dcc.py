"""Digital calibration certificates: build + validate + sign, and verify, per second on one
core for a 20-result certificate, with XSD validation alone as the reference in the same run.

Targets (issue 6): >= 100 signed certificates/s and >= 200 verifications/s on one core.

    python benchmarks/bench_dcc.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time

from lxml import etree

from jiliang.core.dcc import pki
from jiliang.core.dcc.build import build_element
from jiliang.core.dcc.sample import sample_record
from jiliang.core.dcc.schema import SCHEMA_DIR, dcc_schema, validate_schema
from jiliang.core.dcc.sign import Signer, sign_dcc, sign_element
from jiliang.core.dcc.verify import verify_dcc

UTC = dt.UTC
SIGNING_TIME = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def rate(fn, seconds: float, min_runs: int = 5) -> tuple[float, float]:
    """Calls per CPU second and per wall second of fn, run for about ``seconds`` of CPU.

    Single-threaded code, so CPU time is time on one core; it is also steadier than wall
    time on a machine shared with other work.
    """
    fn()  # warm up
    runs, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
    while True:
        fn()
        runs += 1
        cpu = time.process_time() - cpu0
        if cpu >= seconds and runs >= min_runs:
            return runs / cpu, runs / (time.perf_counter() - wall0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run (about 1 s per measurement)")
    parser.add_argument("--results", type=int, default=20, help="results in the certificate (default 20)")
    args = parser.parse_args()
    seconds = 0.5 if args.quick else 3.0

    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    ca = pki.create_root_ca("Bench Root CA", not_before=t0)
    inst = pki.issue_signing_certificate(ca, "Bench Lab", not_before=t0)
    signer = Signer.from_pem(inst.key_pem, inst.cert_pem, role="approver")
    anchors = [pki.load_certificate(ca.cert_pem)]
    record = sample_record(args.results)
    dcc_schema()  # compile once, reused by every call below

    unsigned = etree.tostring(build_element(record), xml_declaration=True, encoding="UTF-8")
    signed = sign_dcc(unsigned, signer, SIGNING_TIME)
    triple = sign_dcc(
        unsigned, [Signer(signer.key, signer.certificate, role=r) for r in ("verifier", "checker", "approver")], SIGNING_TIME
    )
    assert verify_dcc(signed, trust_anchors=anchors).valid
    assert verify_dcc(triple, trust_anchors=anchors).valid

    def xsd_only():
        assert validate_schema(unsigned).valid

    def build_validate_sign():
        root = build_element(record)
        assert validate_schema(root).valid
        etree.tostring(sign_element(root, signer, SIGNING_TIME), xml_declaration=True, encoding="UTF-8")

    def verify_one():
        assert verify_dcc(signed, trust_anchors=anchors).valid

    def verify_three():
        assert verify_dcc(triple, trust_anchors=anchors).valid

    print(
        f"DCC benchmark: {args.results}-result certificate ({len(unsigned):,} bytes unsigned, "
        f"{len(signed):,} signed), one core, {'quick' if args.quick else 'full'} run"
    )
    ref, ref_wall = rate(xsd_only, seconds)
    rows = [("XSD validation alone (lxml, parse + validate)", ref, ref_wall)]
    signed_rate, wall = rate(build_validate_sign, seconds)
    rows.append(("build + validate + sign (XAdES-BES, 1 signature)", signed_rate, wall))
    verify_rate, wall = rate(verify_one, seconds)
    rows.append(("verify (schema + signature + chain, 1 signature)", verify_rate, wall))
    verify3_rate, wall = rate(verify_three, seconds)
    rows.append(("verify (3 signatures: verifier, checker, approver)", verify3_rate, wall))

    try:
        import xmlschema  # noqa: F401  (same package as the project's; a slower reference)

        if args.quick:
            print("  skipped: xmlschema reference (full run only)")
        else:

            def local(uri):
                for pre in ("https://ptb.de/", "https://www.ptb.de/"):
                    if uri.startswith(pre):
                        return str(SCHEMA_DIR / "ptb.de" / uri[len(pre) :])
                return uri

            schema = xmlschema.XMLSchema(str(SCHEMA_DIR / "ptb.de/dcc/v3.3.0/dcc.xsd"), uri_mapper=local, allow="local")
            rows.append(("XSD validation with xmlschema (pure Python)", *rate(lambda: schema.validate(unsigned), seconds)))
    except ImportError:
        print("  skipped: xmlschema not installed")

    width = max(len(row[0]) for row in rows)
    print(f"  {'':{width}}  {'per CPU s':>10}  {'ms CPU':>7}  {'vs XSD alone':>12}  {'per wall s':>10}")
    for name, r, w in rows:
        print(f"  {name:{width}}  {r:10.1f}  {1000 / r:7.3f}  {r / ref:11.3f}x  {w:10.1f}")
    print(
        f"  target >= 100 signed/s: {'met' if signed_rate >= 100 else 'NOT met'} ({signed_rate:.0f}/s); "
        f"target >= 200 verifications/s: {'met' if verify_rate >= 200 else 'NOT met'} ({verify_rate:.0f}/s)"
    )
    print(f"  peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
