"""The Merkle tree over the audit log, as Certificate Transparency defines it (RFC 6962 §2.1,
RFC 9162 §2.1): leaf = SHA-256(0x00 ‖ data), node = SHA-256(0x01 ‖ left ‖ right), the tree of
``n`` leaves split at the largest power of two below ``n``.

Pure functions over bytes, with no Django: the offline document verifier and the verifier's
worker processes use them as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from hashlib import sha256

LEAF, NODE = b"\x00", b"\x01"

# One complete subtree: (level, digest) with 2**level leaves.
Frontier = list[tuple[int, bytes]]


def leaf_hash(data: bytes) -> bytes:
    return sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return sha256(NODE + left + right).digest()


EMPTY_ROOT = sha256(b"").digest()


def append(
    frontier: Frontier,
    leaf: bytes,
    *,
    size: int,
    on_complete: Callable[[int, int, bytes], None] | None = None,
) -> None:
    """Add one leaf hash to ``frontier`` (the complete subtrees left to right, like the bits of
    a binary counter: ``size``, the number of leaves before this one, says how many subtrees
    the leaf closes). ``on_complete(level, index, digest)`` is told of each closed subtree."""
    digest, level = leaf, 0
    while size & 1:
        digest = sha256(NODE + frontier.pop()[1] + digest).digest()
        level += 1
        size >>= 1
        if on_complete is not None:
            on_complete(level, size, digest)
    frontier.append((level, digest))


def root_of(frontier: Sequence[tuple[int, bytes]]) -> bytes:
    """The tree head of the leaves the frontier stands for."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1][1]
    for _, digest in reversed(frontier[:-1]):
        root = node_hash(digest, root)
    return root


def root_of_leaves(leaves: Iterable[bytes]) -> bytes:
    frontier: Frontier = []
    for size, leaf in enumerate(leaves):
        append(frontier, leaf, size=size)
    return root_of(frontier)


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, size: int, subtree: Callable[[int, int], bytes]) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 6962 §2.1.1).
    ``subtree(start, end)`` gives the hash of leaves ``start``‥``end-1``."""
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree(start + k, end))
            end = start + k
        else:
            path.append(subtree(start, start + k))
            start += k
    path.reverse()
    return path


def root_from_path(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` proves ``leaf`` (at ``index``) is in (RFC 9162 §2.1.3.2), or None
    when the path has the wrong length for the tree."""
    if index >= size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def complete_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The aligned complete subtrees, as (level, index) left to right, that make up leaves
    ``start``‥``end-1`` of a range the RFC's split produces (``start`` is a multiple of a power
    of two at least as large as the range). Folded from the right, they give its hash."""
    pieces, size = [], end - start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            pieces.append((level, start >> level))
            start += 1 << level
    return pieces


def subtree_root(leaves: list[bytes]) -> bytes:
    """The root of a complete subtree (a power of two of leaf hashes), level by level."""
    level = leaves
    while len(level) > 1:
        level = [
            sha256(NODE + left + right).digest()
            for left, right in zip(level[::2], level[1::2], strict=True)
        ]
    return level[0]


def frontier_of(leaves: list[bytes], offset: int) -> Frontier:
    """The complete subtrees, left to right, of leaf hashes ``offset``‥ (``offset`` a multiple
    of a power of two at least as large as their number, as a chunk of the log is)."""
    frontier: Frontier = []
    for level, index in complete_subtrees(offset, offset + len(leaves)):
        first = (index << level) - offset
        frontier.append((level, subtree_root(leaves[first : first + (1 << level)])))
    return frontier
