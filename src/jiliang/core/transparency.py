"""A Merkle transparency log in the manner of Certificate Transparency (RFC 9162 §2.1).

The tree of a list of entries D[n] = {d(0), …, d(n-1)} (RFC 9162 §2.1.1):

    MTH({})    = HASH()
    MTH({d0})  = HASH(0x00 || d0)
    MTH(D[n])  = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k: the largest power of 2 < n

with HASH = SHA-256. The 0x00 / 0x01 prefixes keep a leaf from passing for a node (the
second-preimage attack the RFC's §2.1.1 names). An *inclusion proof* (§2.1.3) is the
audit path PATH(m, D[n]) that leads from leaf m to the root; a *consistency proof*
(§2.1.4) is PROOF(m, D[n]), the nodes that show the tree of the first m entries is a
prefix of the tree of n: an append-only log cannot rewrite an entry without the proof
against an earlier tree head failing.

Written by hand, on purpose: the algorithm is small (a hundred lines), fixed by the RFC,
and it must be checkable offline by anyone — a province, an auditor, a court — with
nothing but Python's ``hashlib``. The verifiers follow the numbered steps of RFC 9162
§2.1.3.2 and §2.1.4.2 literally; the tests run the known-answer vectors of the Go
reference (transparency-dev/merkle, ``testonly/constants.go`` and
``proof/verify_test.go``). PyPI's ``pymerkle`` is maintained but serialises proofs in a
format of its own rather than the RFC's ``inclusion_path`` / ``consistency_path``, which is
what a third-party CT verifier expects (that comparison is from memory).

Hashes are 32-byte ``bytes``; entries are ``bytes``. Leaf hashes are what callers keep
(``leaf_hash``), so building a tree of ``n`` leaves costs ``n - 1`` node hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify; the message says which check failed."""


def leaf_hash(entry: bytes) -> bytes:
    """HASH(0x00 || entry): the hash of one log entry (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right): an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH of the entries whose leaf hashes are given, in order.

    Level by level: pair neighbours, carry an odd last node up unchanged. That is the
    same tree as the RFC's split at the largest power of two (every left subtree the
    split makes is complete, so pairing from the left meets the same nodes)."""
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [sha256(NODE_PREFIX + a + b).digest() for a, b in zip(level[0::2], level[1::2])]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 §2.1.3.1, leaf-side first."""
    n = len(leaf_hashes)
    if not 0 <= index < n:
        raise ProofError(f"leaf {index} is not in a tree of {n}")
    path: list[bytes] = []
    start, end = 0, n
    # Walk down from the root, keeping the sibling subtree's hash at each split;
    # the RFC's recursion appends them on the way back up, so reverse at the end.
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(root(leaf_hashes[start + k : end]))
            end = start + k
        else:
            path.append(root(leaf_hashes[start : start + k]))
            start += k
    path.reverse()
    return path


def consistency_path(leaf_hashes: Sequence[bytes], first: int) -> list[bytes]:
    """PROOF(first, D[n]) of RFC 9162 §2.1.4.1: the tree of ``first`` entries is a prefix
    of the tree of all of ``leaf_hashes``. Empty when ``first`` is 0 or n."""
    n = len(leaf_hashes)
    if not 0 <= first <= n:
        raise ProofError(f"a tree of {first} entries cannot precede one of {n}")
    if first in (0, n):
        return []
    return _subproof(leaf_hashes, first, 0, n, True)


def _subproof(leaves: Sequence[bytes], m: int, start: int, end: int, whole: bool) -> list[bytes]:
    # SUBPROOF(m, D[start:end], b) of RFC 9162 §2.1.4.1.
    n = end - start
    if m == n:
        return [] if whole else [root(leaves[start:end])]
    k = _split(n)
    if m <= k:
        return _subproof(leaves, m, start, start + k, whole) + [root(leaves[start + k : end])]
    return _subproof(leaves, m - k, start + k, end, False) + [root(leaves[start : start + k])]


def _check_hash(value: bytes, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be a {HASH_SIZE}-byte hash")


def root_from_inclusion(index: int, tree_size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 §2.1.3.2, steps 1–4)."""
    _check_hash(leaf, "the leaf hash")
    # 1. leaf_index must be below tree_size.
    if not 0 <= index < tree_size:
        raise ProofError(f"leaf index {index} is not below the tree size {tree_size}")
    # 2. fn = leaf_index, sn = tree_size - 1;  3. r = the leaf hash.
    fn, sn, r = index, tree_size - 1, leaf
    # 4. Fold in each p of the path.
    for p in path:
        _check_hash(p, "a path node")
        if sn == 0:  # a. the path is longer than the tree is high
            raise ProofError("the inclusion path is longer than the tree is high")
        if fn & 1 or fn == sn:  # b. r is a right child (or the last node of its level)
            r = node_hash(p, r)
            while not fn & 1 and fn:  # ii. climb past the levels where r is carried up alone
                fn >>= 1
                sn >>= 1
        else:  # otherwise r is a left child
            r = node_hash(r, p)
        fn >>= 1  # c.
        sn >>= 1
    # 5. sn must have reached 0 (the path was not too short).
    if sn != 0:
        raise ProofError("the inclusion path is shorter than the tree is high")
    return r


def verify_inclusion(index: int, tree_size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes) -> None:
    """Raise ``ProofError`` unless ``leaf`` is entry ``index`` of the tree of ``tree_size``
    entries whose root is ``expected_root`` (RFC 9162 §2.1.3.2)."""
    _check_hash(expected_root, "the root hash")
    if root_from_inclusion(index, tree_size, leaf, path) != expected_root:
        raise ProofError(f"the inclusion path of leaf {index} does not lead to the root of the tree of {tree_size}")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]) -> None:
    """Raise ``ProofError`` unless the tree of ``first`` entries (root ``first_root``) is a
    prefix of the tree of ``second`` (root ``second_root``): RFC 9162 §2.1.4.2."""
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    for node in path:
        _check_hash(node, "a path node")
    if first > second or first < 0:
        raise ProofError(f"a tree of {first} entries cannot precede one of {second}")
    # The trivial cases the RFC's algorithm leaves out (it assumes 0 < first < second):
    # the empty tree precedes every tree, and a tree is consistent with itself; both with
    # an empty proof.
    if first == 0 or first == second:
        if path:
            raise ProofError("the proof must be empty between these sizes")
        if first == second and first_root != second_root:
            raise ProofError(f"two different roots for the same tree size {first}")
        if first == 0 and first_root != EMPTY_ROOT:
            raise ProofError("the root of the empty tree is SHA-256 of nothing")
        return
    # 1. An empty path proves nothing.
    if not path:
        raise ProofError("the consistency path is empty")
    nodes = list(path)
    # 2. When first is a power of two its root is a node of the second tree: start from it.
    if first & (first - 1) == 0:
        nodes.insert(0, first_root)
    # 3. fn = first - 1, sn = second - 1;  4. skip the levels where fn is a right child.
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. fr and sr both start at the first node.
    fr = sr = nodes[0]
    # 6. Rebuild both roots at once.
    for c in nodes[1:]:
        if sn == 0:  # a.
            raise ProofError("the consistency path is longer than the tree is high")
        if fn & 1 or fn == sn:  # b. c is a left sibling: it belongs to both trees
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:  # otherwise c is a right sibling, only in the second tree
            sr = node_hash(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7. Both roots and the height must come out right.
    if sn != 0:
        raise ProofError("the consistency path is shorter than the tree is high")
    if fr != first_root:
        raise ProofError(f"the tree of {first} entries is not a prefix of the tree of {second} (history rewritten)")
    if sr != second_root:
        raise ProofError(f"the consistency path does not lead to the root of the tree of {second}")


# -- the compact range: appending without reading every leaf


def append_leaf(frontier: Sequence[bytes], size: int, leaf: bytes) -> list[bytes]:
    """The compact range of a tree of ``size`` + 1 entries from that of ``size`` entries.

    A tree of n entries is, left to right, the perfect subtrees of the binary digits of
    n (n = 5: a subtree of 4 and one of 1); ``frontier`` holds their roots. A new leaf is
    a subtree of 1 that merges with equal-sized ones on its left, as a carry does."""
    if len(frontier) != bin(size).count("1"):
        raise ProofError(f"a compact range of {len(frontier)} nodes cannot describe a tree of {size}")
    nodes = list(frontier) + [leaf]
    n = size
    while n & 1:  # each set low bit is a subtree of the new one's size: merge
        right = nodes.pop()
        nodes[-1] = node_hash(nodes[-1], right)
        n >>= 1
    return nodes


def root_of_frontier(frontier: Sequence[bytes]) -> bytes:
    """MTH of the tree whose compact range this is: the subtrees folded right to left
    (the RFC's split puts the largest complete subtree on the left at every level)."""
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for node in reversed(frontier[:-1]):
        acc = node_hash(node, acc)
    return acc
