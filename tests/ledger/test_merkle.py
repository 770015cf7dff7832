"""The Merkle code against the public RFC 6962 vectors and an independent reference."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from confidant.ledger import merkle
from confidant.ledger.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointSigner,
    open_checkpoint,
)
from tests.ledger import reference

# transparency-dev/merkle: testonly/constants.go and proof/verify_test.go (see "source").
VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "rfc6962_vectors.json").read_text()
)
LEAF_INPUTS = [bytes.fromhex(item) for item in VECTORS["leaf_inputs"]]


def build(entries: list[bytes]) -> dict[merkle.NodeKey, bytes]:
    """Every node of the tree, built the way the sequencer builds it."""
    nodes: dict[merkle.NodeKey, bytes] = {}
    frontier = merkle.Frontier()
    for position, data in enumerate(entries):
        digest = merkle.leaf_hash(data)
        nodes[(0, position)] = digest
        for level, index, node in frontier.append(digest):
            nodes[(level, index)] = node
    return nodes


def h(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(item) for item in items]


def test_roots_of_the_public_vectors() -> None:
    nodes = build(LEAF_INPUTS)
    for size, expected in enumerate(VECTORS["roots"]):
        assert merkle.root_hash(size, nodes).hex() == expected
    frontier = merkle.Frontier()
    assert frontier.root() == merkle.EMPTY_ROOT
    for size, data in enumerate(LEAF_INPUTS, start=1):
        frontier.append(merkle.leaf_hash(data))
        assert frontier.root().hex() == VECTORS["roots"][size]


@pytest.mark.parametrize(
    "case", VECTORS["inclusion_proofs"], ids=lambda c: f"{c['leaf_index']}@{c['tree_size']}"
)
def test_inclusion_proofs_of_the_public_vectors(case: dict[str, Any]) -> None:
    nodes = build(LEAF_INPUTS)
    index, size = case["leaf_index"], case["tree_size"]
    proof = merkle.inclusion_proof(index, size, nodes)
    assert [p.hex() for p in proof] == case["proof"]
    root = bytes.fromhex(VECTORS["roots"][size])
    assert merkle.verify_inclusion(
        merkle.leaf_hash(LEAF_INPUTS[index]), index, size, h(case["proof"]), root
    )


@pytest.mark.parametrize(
    "case", VECTORS["consistency_proofs"], ids=lambda c: f"{c['size1']}-{c['size2']}"
)
def test_consistency_proofs_of_the_public_vectors(case: dict[str, Any]) -> None:
    nodes = build(LEAF_INPUTS)
    first, second = case["size1"], case["size2"]
    assert [p.hex() for p in merkle.consistency_proof(first, second, nodes)] == case["proof"]
    roots = VECTORS["roots"]
    assert merkle.verify_consistency(
        first, second, bytes.fromhex(roots[first]), bytes.fromhex(roots[second]), h(case["proof"])
    )


entries_strategy = st.lists(st.binary(max_size=24), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(entries=entries_strategy, data=st.data())
def test_every_inclusion_proof_verifies_independently(
    entries: list[bytes], data: st.DataObject
) -> None:
    nodes = build(entries)
    size = data.draw(st.integers(1, len(entries)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = merkle.root_hash(size, nodes)
    assert root == reference.mth(entries[:size])
    proof = merkle.inclusion_proof(index, size, nodes)
    assert proof == reference.path(index, entries[:size])
    digest = reference.leaf(entries[index])
    assert reference.verify_inclusion(digest, index, size, proof, root)
    assert merkle.verify_inclusion(digest, index, size, proof, root)


@settings(max_examples=60, deadline=None)
@given(entries=entries_strategy, data=st.data())
def test_every_consistency_proof_verifies_independently(
    entries: list[bytes], data: st.DataObject
) -> None:
    nodes = build(entries)
    second = data.draw(st.integers(1, len(entries)), label="second")
    first = data.draw(st.integers(1, second), label="first")
    proof = merkle.consistency_proof(first, second, nodes)
    assert proof == reference.subproof(first, entries[:second], True)
    old, new = merkle.root_hash(first, nodes), merkle.root_hash(second, nodes)
    assert reference.verify_consistency(first, second, old, new, proof)
    assert merkle.verify_consistency(first, second, old, new, proof)


def flip(value: bytes, position: int, bit: int) -> bytes:
    changed = bytearray(value)
    changed[position % len(changed)] ^= 1 << bit
    return bytes(changed)


@settings(max_examples=80, deadline=None)
@given(
    entries=st.lists(st.binary(min_size=1, max_size=24), min_size=2, max_size=40),
    data=st.data(),
    position=st.integers(0, 10_000),
    bit=st.integers(0, 7),
)
def test_a_changed_byte_in_a_leaf_or_an_inclusion_proof_is_rejected(
    entries: list[bytes], data: st.DataObject, position: int, bit: int
) -> None:
    nodes = build(entries)
    size = data.draw(st.integers(2, len(entries)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = merkle.root_hash(size, nodes)
    proof = merkle.inclusion_proof(index, size, nodes)
    changed_leaf = merkle.leaf_hash(flip(entries[index], position, bit))
    assert not merkle.verify_inclusion(changed_leaf, index, size, proof, root)
    assert not reference.verify_inclusion(changed_leaf, index, size, proof, root)
    digest = merkle.leaf_hash(entries[index])
    which = position % len(proof)
    changed_proof = [*proof[:which], flip(proof[which], position, bit), *proof[which + 1 :]]
    assert not merkle.verify_inclusion(digest, index, size, changed_proof, root)
    assert not merkle.verify_inclusion(digest, index, size, proof, flip(root, position, bit))


@settings(max_examples=80, deadline=None)
@given(
    entries=st.lists(st.binary(max_size=24), min_size=3, max_size=40),
    data=st.data(),
    position=st.integers(0, 10_000),
    bit=st.integers(0, 7),
)
def test_a_changed_byte_in_a_consistency_proof_is_rejected(
    entries: list[bytes], data: st.DataObject, position: int, bit: int
) -> None:
    nodes = build(entries)
    second = data.draw(st.integers(2, len(entries)), label="second")
    first = data.draw(st.integers(1, second - 1), label="first")
    proof = merkle.consistency_proof(first, second, nodes)
    old, new = merkle.root_hash(first, nodes), merkle.root_hash(second, nodes)
    which = position % len(proof)
    changed = [*proof[:which], flip(proof[which], position, bit), *proof[which + 1 :]]
    assert not merkle.verify_consistency(first, second, old, new, changed)
    assert not merkle.verify_consistency(first, second, flip(old, position, bit), new, proof)
    assert not merkle.verify_consistency(first, second, old, flip(new, position, bit), proof)


SIGNER = CheckpointSigner("example.org/ledger", Ed25519PrivateKey.generate())


@settings(max_examples=200, deadline=None)
@given(size=st.integers(0, 2**40), root=st.binary(min_size=32, max_size=32), data=st.data())
def test_a_changed_character_in_a_checkpoint_is_rejected(
    size: int, root: bytes, data: st.DataObject
) -> None:
    note = SIGNER.sign(Checkpoint(SIGNER.origin, size, root))
    assert open_checkpoint(note, SIGNER.verifier_key) == Checkpoint(SIGNER.origin, size, root)
    position = data.draw(st.integers(0, len(note) - 1), label="position")
    replacement = data.draw(st.characters(codec="ascii").filter(lambda c: c != note[position]))
    tampered = note[:position] + replacement + note[position + 1 :]
    with pytest.raises(CheckpointError):
        open_checkpoint(tampered, SIGNER.verifier_key)


def test_checkpoint_is_a_c2sp_signed_note() -> None:
    root = bytes(range(32))
    note = SIGNER.sign(Checkpoint(SIGNER.origin, 42, root))
    body, signature_line = note.split("\n\n")
    assert body == f"example.org/ledger\n42\n{base64.b64encode(root).decode()}"
    dash, name, blob = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", "example.org/ledger")
    raw = base64.b64decode(blob)
    assert len(raw) == 4 + 64
    public = base64.b64decode(SIGNER.verifier_key.split("+", 2)[2])[1:]
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], (body + "\n").encode())
    other = CheckpointSigner("example.org/ledger", Ed25519PrivateKey.generate())
    with pytest.raises(CheckpointError):
        open_checkpoint(note, other.verifier_key)


def test_proofs_refuse_sizes_out_of_range() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_ranges(0, 3)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_ranges(4, 3)
    assert not merkle.verify_inclusion(bytes(32), 3, 3, [], bytes(32))
