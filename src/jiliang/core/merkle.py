"""Merkle tree roots over row digests, for the audit ledger's bulk batches.

The leaves are the rows' digests (SHA-256 of a row's canonical JSON, see
``jiliang.core.ledger.row_digest``), in the order of the rows' ids. A batch of millions of
rows must cost little next to writing them, so the bottom of the tree is wide: leaves are
taken in pages of ``PAGE`` and a page hashes as ``SHA-256(0x00 || leaf || leaf || …)``; above
the pages the tree is binary with the shape of RFC 6962 §2.1 — a node is
``SHA-256(0x01 || left || right)`` and a level of odd length carries its last node up (the
same root as the RFC's split at the largest power of two). The prefixes keep a page from
passing for a node. One row's membership is shown by its page's other leaves and the
page's path to the root (``inclusion_proof`` / ``root_from_proof``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

PAGE = 256
PAGE_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def _pages(leaves: Sequence[bytes]) -> list[bytes]:
    sha256 = hashlib.sha256
    return [sha256(PAGE_PREFIX + b"".join(leaves[i : i + PAGE])).digest() for i in range(0, len(leaves), PAGE)]


def _pages_of_joined(joined: bytes | memoryview) -> list[bytes]:
    sha256, step, view = hashlib.sha256, PAGE * 32, memoryview(joined)
    return [sha256(PAGE_PREFIX + view[i : i + step]).digest() for i in range(0, len(view), step)]


def _up(level: list[bytes]) -> list[bytes]:
    sha256 = hashlib.sha256
    paired = [sha256(NODE_PREFIX + left + right).digest() for left, right in zip(level[0::2], level[1::2])]
    if len(level) % 2:
        paired.append(level[-1])
    return paired


def root(leaves: Sequence[bytes]) -> bytes:
    """The root of 32-byte leaves, in the order given (of no leaves: SHA-256 of nothing)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = _pages(leaves)
    while len(level) > 1:
        level = _up(level)
    return level[0]


def root_of_joined(joined: bytes | memoryview) -> bytes:
    """``root`` of the 32-byte leaves laid end to end in one buffer (no list of leaves to build)."""
    if len(joined) % 32:
        raise ValueError(f"{len(joined)} bytes are not whole 32-byte leaves")
    if not len(joined):
        return hashlib.sha256(b"").digest()
    level = _pages_of_joined(joined)
    while len(level) > 1:
        level = _up(level)
    return level[0]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> dict:
    """What shows leaf ``index`` belongs to the root without the other pages: its page's
    leaves, its place there, and the sibling hashes from the page up ("left"/"right", hash)."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} of {len(leaves)}")
    page_no, level, path = index // PAGE, _pages(leaves), []
    node = page_no
    while len(level) > 1:
        sibling = node ^ 1
        if sibling < len(level):
            path.append(("left" if sibling < node else "right", level[sibling]))
        level, node = _up(level), node // 2
    return {"page": list(leaves[page_no * PAGE : (page_no + 1) * PAGE]), "position": index % PAGE, "path": path}


def root_from_proof(leaf: bytes, proof: dict) -> bytes | None:
    """The root an inclusion proof leads to, or None when the leaf is not where it says."""
    page = proof["page"]
    if not 0 <= proof["position"] < len(page) or page[proof["position"]] != leaf:
        return None
    node = hashlib.sha256(PAGE_PREFIX + b"".join(page)).digest()
    for side, sibling in proof["path"]:
        node = hashlib.sha256(NODE_PREFIX + (sibling + node if side == "left" else node + sibling)).digest()
    return node
