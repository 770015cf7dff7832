"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs and proof verification.

Nothing here touches storage. A tree is addressed by perfect subtrees: node
(level, index) covers leaves [index * 2**level, (index + 1) * 2**level). Level 0 nodes
are leaf hashes. Proof builders first say which stored nodes they need
(`*_nodes`), then hash them (`*_proof`), so a caller fetches them in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

NodeKey = tuple[int, int]
Range = tuple[int, int]
Nodes = Mapping[NodeKey, bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split_point(size: int) -> int:
    """The largest power of two smaller than `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[NodeKey]:
    """The perfect subtrees that make up leaves [start, end), left to right.

    `start` must be aligned as every range inside an RFC 6962 tree is: a multiple of a
    power of two at least as large as the range's largest part."""
    keys: list[NodeKey] = []
    position = start
    for level in range((end - start).bit_length() - 1, -1, -1):
        if (end - start) >> level & 1:
            keys.append((level, position >> level))
            position += 1 << level
    return keys


def range_hash(start: int, end: int, nodes: Nodes) -> bytes:
    """MTH of leaves [start, end) from its perfect subtrees."""
    parts = [nodes[key] for key in perfect_subtrees(start, end)]
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = node_hash(part, result)
    return result


def root_nodes(size: int) -> list[NodeKey]:
    return perfect_subtrees(0, size)


def root_hash(size: int, nodes: Nodes) -> bytes:
    return EMPTY_ROOT if size == 0 else range_hash(0, size, nodes)


def _nodes_of(ranges: Iterable[Range]) -> set[NodeKey]:
    return {key for start, end in ranges for key in perfect_subtrees(start, end)}


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose hashes form the audit path of `index` (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    outermost_first: list[Range] = []
    low, high = 0, size
    while high - low > 1:
        middle = low + _split_point(high - low)
        if index < middle:
            outermost_first.append((middle, high))
            high = middle
        else:
            outermost_first.append((low, middle))
            low = middle
    return outermost_first[::-1]


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The leaf ranges whose hashes form the consistency proof (RFC 9162 2.1.4.1)."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second}")
    outermost_first: list[Range] = []
    low, high, remaining, whole_old_tree = 0, second, first, True
    while remaining != high - low:
        middle = low + _split_point(high - low)
        if remaining <= middle - low:
            outermost_first.append((middle, high))
            high = middle
        else:
            outermost_first.append((low, middle))
            remaining -= middle - low
            low = middle
            whole_old_tree = False
    head: list[Range] = [] if whole_old_tree else [(low, high)]
    return head + outermost_first[::-1]


def inclusion_nodes(index: int, size: int) -> set[NodeKey]:
    return _nodes_of(inclusion_ranges(index, size))


def consistency_nodes(first: int, second: int) -> set[NodeKey]:
    return _nodes_of(consistency_ranges(first, second))


def inclusion_proof(index: int, size: int, nodes: Nodes) -> list[bytes]:
    return [range_hash(start, end, nodes) for start, end in inclusion_ranges(index, size)]


def consistency_proof(first: int, second: int, nodes: Nodes) -> list[bytes]:
    return [range_hash(start, end, nodes) for start, end in consistency_ranges(first, second)]


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the path's start
        path.insert(0, first_root)
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old, new = path[0], path[0]
    for sibling in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old, new = node_hash(sibling, old), node_hash(sibling, new)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = node_hash(new, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and old == first_root and new == second_root


class Frontier:
    """The right edge of a growing tree: the roots of its perfect subtrees.

    Appending a leaf returns the internal nodes it completes, which is what a store
    needs to keep to prove in logarithmic time."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("a frontier needs one hash per perfect subtree of the tree")
        self.size = size
        self._hashes = list(hashes)

    @classmethod
    def load(cls, size: int, nodes: Nodes) -> Frontier:
        return cls(size, [nodes[key] for key in root_nodes(size)])

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf hash; returns the (level, index, hash) of each node it completed."""
        completed: list[tuple[int, int, bytes]] = []
        index, level, current = self.size, 0, leaf
        while index & 1:
            current = node_hash(self._hashes.pop(), current)
            index, level = index >> 1, level + 1
            completed.append((level, index, current))
        self._hashes.append(current)
        self.size += 1
        return completed

    def root(self) -> bytes:
        if not self._hashes:
            return EMPTY_ROOT
        result = self._hashes[-1]
        for part in reversed(self._hashes[:-1]):
            result = node_hash(part, result)
        return result
