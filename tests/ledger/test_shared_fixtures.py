"""The signed checkpoint fixture the web client's verifier also reads is what the signer
makes, and it opens against its key and no other."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from confidant.ledger.checkpoints import (
    Checkpoint,
    CheckpointError,
    CheckpointSigner,
    open_checkpoint,
)

DATA = Path(__file__).parent / "data"
FIXTURE: dict[str, Any] = json.loads((DATA / "signed_checkpoint.json").read_text())
VECTORS: dict[str, Any] = json.loads((DATA / "rfc6962_vectors.json").read_text())


def signer(label: str) -> CheckpointSigner:
    seed = hashlib.sha256(label.encode()).digest()
    return CheckpointSigner(FIXTURE["origin"], Ed25519PrivateKey.from_private_bytes(seed))


def test_the_fixture_is_what_the_signer_makes() -> None:
    root = bytes.fromhex(VECTORS["roots"][FIXTURE["tree_size"]])
    assert FIXTURE["root_hash"] == root.hex()
    checkpoint = Checkpoint(FIXTURE["origin"], FIXTURE["tree_size"], root)
    for prefix in ("", "other_"):
        made = signer(FIXTURE[f"{prefix}seed_sha256_of"])
        assert made.verifier_key == FIXTURE[f"{prefix}verifier_key"]
        assert made.sign(checkpoint) == FIXTURE[f"{prefix}note"]
        assert open_checkpoint(FIXTURE[f"{prefix}note"], made.verifier_key) == checkpoint


def test_a_note_by_the_other_key_does_not_open_with_the_pinned_one() -> None:
    with pytest.raises(CheckpointError, match="no signature by"):
        open_checkpoint(FIXTURE["other_note"], FIXTURE["verifier_key"])
