"""The RFC 9162 §2.1 Merkle log against published known-answer vectors.

The vectors are those of the Go reference implementation, transparency-dev/merkle:
``testonly/constants.go`` (LeafInputs, NodeHashes, RootHashes) and
``proof/verify_test.go`` (inclusionProofs, consistencyProofs: there the leaf number is
1-based). The corruptions are the ones that file probes a verifier with."""

from __future__ import annotations

import pytest

from jiliang.core import transparency as t

LEAVES = [
    bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
LEAF_HASHES = [t.leaf_hash(d) for d in LEAVES]
ROOTS = {  # tree size → MTH
    0: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    1: "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    2: "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    3: "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    4: "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    5: "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    6: "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    7: "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    8: "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}
LEAF_HASH_HEX = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
]
# (leaf index 0-based, tree size, path)
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
# (first size, second size, path)
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _h(values):
    return [bytes.fromhex(v) for v in values]


def test_leaf_hashes_and_roots_are_the_published_ones():
    assert [h.hex() for h in LEAF_HASHES] == LEAF_HASH_HEX
    for size, expected in ROOTS.items():
        assert t.root(LEAF_HASHES[:size]).hex() == expected


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_paths_are_the_published_ones_and_verify(index, size, path):
    assert [p.hex() for p in t.inclusion_path(LEAF_HASHES[:size], index)] == path
    t.verify_inclusion(index, size, LEAF_HASHES[index], _h(path), bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_corrupted_inclusion_proofs_are_refused(index, size, path):
    root, leaf, nodes = bytes.fromhex(ROOTS[size]), LEAF_HASHES[index], _h(path)
    probes = [
        (index - 1, size, leaf, nodes, root),
        (index + 1, size, leaf, nodes, root),
        (index ^ 2, size, leaf, nodes, root),
        (index, size * 2, leaf, nodes, root),
        (index, size // 2, leaf, nodes, root),
        (index, size, t.leaf_hash(b"WrongLeaf"), nodes, root),
        (index, size, leaf, nodes, t.EMPTY_ROOT),
        (index, size, leaf, nodes, SOME_HASH),
        (index, size, leaf, nodes + [root], root),
        (index, size, leaf, [root] + nodes, root),
        (index, size, leaf, nodes[:-1], root),
    ]
    for i in range(len(nodes)):
        flipped = list(nodes)
        flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
        probes.append((index, size, leaf, flipped, root))
    for probe in probes:
        with pytest.raises(t.ProofError):
            t.verify_inclusion(*probe)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_paths_are_the_published_ones_and_verify(first, second, path):
    assert [p.hex() for p in t.consistency_path(LEAF_HASHES[:second], first)] == path
    t.verify_consistency(first, second, bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), _h(path))


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_corrupted_consistency_proofs_are_refused(first, second, path):
    r1, r2, nodes = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second]), _h(path)
    probes = [
        (first - 1, second, r1, r2, nodes),
        (first + 1, second, r1, r2, nodes),
        (first ^ 2, second, r1, r2, nodes),
        (first, second * 2, r1, r2, nodes),
        (first, second // 2, r1, r2, nodes),
        (first, second, SOME_HASH, r2, nodes),
        (first, second, r1, SOME_HASH, nodes),
        (first, second, r2, r1, nodes),
        (first, second, r1, r2, []),
        (first, second, r1, r2, nodes + [r1]),
        (first, second, r1, r2, nodes + [r2]),
        (first, second, r1, r2, [r1] + nodes),
        (first, second, r1, r2, [r2] + nodes),
        (first, second, r1, r2, [nodes[0]] + nodes),
        (first, second, r1, r2, nodes[:-1]),
    ]
    for i in range(len(nodes)):
        flipped = list(nodes)
        flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
        probes.append((first, second, r1, r2, flipped))
    for probe in probes:
        with pytest.raises(t.ProofError):
            t.verify_consistency(*probe)


def test_trivial_consistency_and_every_pair_of_a_larger_tree():
    t.verify_consistency(0, 5, t.EMPTY_ROOT, bytes.fromhex(ROOTS[5]), [])
    t.verify_consistency(3, 3, bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[3]), [])
    with pytest.raises(t.ProofError):
        t.verify_consistency(3, 3, bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[4]), [])
    with pytest.raises(t.ProofError):
        t.verify_consistency(4, 3, bytes.fromhex(ROOTS[4]), bytes.fromhex(ROOTS[3]), [])
    # Every (m, n) and every leaf of trees up to 40 entries: what is generated verifies.
    leaves = [t.leaf_hash(i.to_bytes(4, "big")) for i in range(40)]
    roots = [t.root(leaves[:n]) for n in range(41)]
    for n in range(1, 41):
        for m in range(n + 1):
            t.verify_consistency(m, n, roots[m], roots[n], t.consistency_path(leaves[:n], m))
        for i in range(n):
            t.verify_inclusion(i, n, leaves[i], t.inclusion_path(leaves[:n], i), roots[n])


def test_a_rewritten_entry_breaks_consistency_with_the_earlier_root():
    leaves = [t.leaf_hash(i.to_bytes(4, "big")) for i in range(12)]
    earlier = t.root(leaves[:7])
    rewritten = list(leaves)
    rewritten[3] = t.leaf_hash(b"rewritten")
    with pytest.raises(t.ProofError, match="not a prefix"):
        t.verify_consistency(7, 12, earlier, t.root(rewritten), t.consistency_path(rewritten, 7))


def test_the_compact_range_gives_the_published_roots():
    frontier: list[bytes] = []
    for size, leaf in enumerate(LEAF_HASHES):
        frontier = t.append_leaf(frontier, size, leaf)
        assert t.root_of_frontier(frontier).hex() == ROOTS[size + 1]
    with pytest.raises(t.ProofError):
        t.append_leaf(frontier, 7, LEAF_HASHES[0])  # 8 entries need one node, not 7's three
