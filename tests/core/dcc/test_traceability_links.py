"""A DCC carries its own traceability chain: each standard used names its upstream
certificate by identifier and SHA-256 of that certificate's bytes."""

from hypothesis import given, settings
from hypothesis import strategies as st

from jiliang.core.dcc.build import build_dcc
from jiliang.core.dcc.dsi import _UNPREFIXABLE, PREFIXES, UNITS, canonical_unit, parse_unit, to_pint
from jiliang.core.dcc.parse import check_upstream, document_sha256, upstream_certificates
from jiliang.core.dcc.sample import sample_record


def test_downstream_records_the_upstream_hash_and_the_check_finds_changes():
    upstream = build_dcc(sample_record(2, unique_identifier="NIM-2026-P-0077"))
    digest = document_sha256(upstream)
    assert len(digest) == 64
    downstream = build_dcc(sample_record(2, upstream_sha256=digest))
    (ref,) = upstream_certificates(downstream)
    assert ref["identifier"] == "NIM-2026-P-0077" and ref["hash"] == digest and ref["procedure"] == "SHA-256"
    assert check_upstream(downstream, {"NIM-2026-P-0077": upstream}) == []
    altered = upstream.replace(b"<si:value>0.1</si:value>", b"<si:value>0.11</si:value>", 1)
    assert check_upstream(downstream, {"NIM-2026-P-0077": altered}) == [
        "upstream NIM-2026-P-0077: SHA-256 does not match the recorded hash"
    ]
    assert check_upstream(downstream, {}) == ["upstream NIM-2026-P-0077: certificate not supplied"]


_component = st.tuples(
    st.one_of(st.none(), st.sampled_from(sorted(set(PREFIXES) - {"kibi", "mebi", "gibi", "tebi", "pebi", "exbi"}))),
    st.sampled_from(sorted(set(UNITS) - {"one", "byte", "bit", "bel", "neper", "decibel", "degreecelsius"})),
    st.integers(-3, 3).filter(lambda e: e != 0),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_component, min_size=1, max_size=4))
def test_dsi_strings_round_trip_and_per_equals_negative_exponent(components):
    plain, with_per = [], []
    for prefix, unit, exp, use_per in components:
        if prefix and unit in _UNPREFIXABLE | {"kilogram"}:
            prefix = None
        head = (f"\\{prefix}" if prefix else "") + f"\\{unit}"
        plain.append(head + (f"\\tothe{{{exp}}}" if exp != 1 else ""))
        if use_per and exp < 0:
            with_per.append("\\per" + head + (f"\\tothe{{{-exp}}}" if exp != -1 else ""))
        else:
            with_per.append(plain[-1])
    a, b = "".join(plain), "".join(with_per)
    assert canonical_unit(a) == canonical_unit(b)
    assert canonical_unit(canonical_unit(a)) == canonical_unit(a)
    assert len(parse_unit(a)) == len(components)
    # Same dimension and scale in pint whichever way it is written.
    ratio = (1 * to_pint(a)).to(to_pint(b))
    assert abs(ratio.magnitude - 1) < 1e-9
