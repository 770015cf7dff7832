"""An independent RFC 6962 reference, written recursively from the RFC's definitions
(MTH, PATH, SUBPROOF), to check the server's iterative code against."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries: Sequence[bytes]) -> bytes:
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return leaf(entries[0])
    k = split(len(entries))
    return node(mth(entries[:k]), mth(entries[k:]))


def path(m: int, entries: Sequence[bytes]) -> list[bytes]:
    if len(entries) == 1:
        return []
    k = split(len(entries))
    if m < k:
        return path(m, entries[:k]) + [mth(entries[k:])]
    return path(m - k, entries[k:]) + [mth(entries[:k])]


def subproof(m: int, entries: Sequence[bytes], whole: bool) -> list[bytes]:
    n = len(entries)
    if m == n:
        return [] if whole else [mth(entries)]
    k = split(n)
    if m <= k:
        return subproof(m, entries[:k], whole) + [mth(entries[k:])]
    return subproof(m - k, entries[k:], False) + [mth(entries[:k])]


def root_from_path(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an audit path leads to; ValueError when the path has the wrong length."""
    if size == 1:
        if proof:
            raise ValueError("path too long")
        return leaf_hash
    if not proof:
        raise ValueError("path too short")
    k = split(size)
    *inner, sibling = proof
    if index < k:
        return node(root_from_path(index, k, leaf_hash, inner), sibling)
    return node(sibling, root_from_path(index - k, size - k, leaf_hash, inner))


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    if not 0 <= index < size:
        return False
    try:
        return root_from_path(index, size, leaf_hash, proof) == root
    except ValueError:
        return False


def _roots_from_subproof(
    m: int, n: int, proof: Sequence[bytes], old_root: bytes, whole: bool
) -> tuple[bytes, bytes]:
    if m == n:
        if whole:
            if proof:
                raise ValueError("proof too long")
            return old_root, old_root
        if len(proof) != 1:
            raise ValueError("proof has the wrong length")
        return proof[0], proof[0]
    if not proof:
        raise ValueError("proof too short")
    k = split(n)
    *inner, last = proof
    if m <= k:
        old, new = _roots_from_subproof(m, k, inner, old_root, whole)
        return old, node(new, last)
    old, new = _roots_from_subproof(m - k, n - k, inner, old_root, False)
    return node(last, old), node(last, new)


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    if not 0 < first <= second:
        return False
    try:
        old, new = _roots_from_subproof(first, second, proof, first_root, True)
    except ValueError:
        return False
    return old == first_root and new == second_root
