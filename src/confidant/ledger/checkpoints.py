"""Signed checkpoints in the C2SP tlog-checkpoint format, signed as C2SP signed notes.

A checkpoint body is three lines (origin, tree size, base64 root hash); the signature
line is an em dash, the key name, and base64 of the 4-byte key id and the Ed25519
signature. Verifier keys are `name+keyid+base64(0x01 || public key)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from confidant.config import Settings

ED25519_ALGORITHM = b"\x01"
SIGNATURE_PREFIX = "\u2014 "


class CheckpointError(ValueError):
    """A checkpoint that does not parse or whose signature does not verify."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    tree_size: int
    root_hash: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.tree_size}\n{base64.b64encode(self.root_hash).decode()}\n"


def _key_id(name: str, public_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ED25519_ALGORITHM + public_key).digest()[:4]


class CheckpointSigner:
    def __init__(self, origin: str, private_key: Ed25519PrivateKey) -> None:
        if not origin or any(c.isspace() or c == "+" for c in origin):
            raise ValueError("a checkpoint origin has no spaces and no '+'")
        self.origin = origin
        self._private_key = private_key
        self.public_key = private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = _key_id(origin, self.public_key)

    @classmethod
    def from_settings(cls, settings: Settings) -> CheckpointSigner:
        if settings.ledger_signing_key:
            seed = base64.b64decode(settings.ledger_signing_key, validate=True)
        else:
            settings.ensure_data_dir()
            seed = _read_or_create_seed(settings.ledger_signing_key_file)
        return cls(settings.resolved_ledger_origin, Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def verifier_key(self) -> str:
        encoded = base64.b64encode(ED25519_ALGORITHM + self.public_key).decode()
        return f"{self.origin}+{self.key_id.hex()}+{encoded}"

    def sign(self, checkpoint: Checkpoint) -> str:
        body = checkpoint.body()
        signature = self._private_key.sign(body.encode())
        encoded = base64.b64encode(self.key_id + signature).decode()
        return f"{body}\n{SIGNATURE_PREFIX}{self.origin} {encoded}\n"


def _read_or_create_seed(path: Path) -> bytes:
    """The signing key's 32-byte seed, base64 in a file created 0600 on first use."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return base64.b64decode(path.read_text().strip(), validate=True)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(os.urandom(32)).decode())
    return base64.b64decode(path.read_text().strip(), validate=True)


def open_checkpoint(note: str, verifier_key: str) -> Checkpoint:
    """Parse a signed checkpoint and check its signature; raises CheckpointError."""
    name, public_key = _parse_verifier_key(verifier_key)
    body, separator, signatures = note.partition("\n\n")
    if not separator:
        raise CheckpointError("no signature block")
    body += "\n"
    expected_id = _key_id(name, public_key)
    verifier = Ed25519PublicKey.from_public_bytes(public_key)
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError("malformed signature line")
        signer, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        blob = _b64(encoded)
        if signer != name or blob[:4] != expected_id:
            continue
        try:
            verifier.verify(blob[4:], body.encode())
        except InvalidSignature as error:
            raise CheckpointError("signature does not verify") from error
        return _parse_body(body, name)
    raise CheckpointError(f"no signature by {name}")


def _parse_verifier_key(verifier_key: str) -> tuple[str, bytes]:
    try:
        name, key_id, encoded = verifier_key.split("+", 2)
    except ValueError as error:
        raise CheckpointError("malformed verifier key") from error
    raw = _b64(encoded)
    if raw[:1] != ED25519_ALGORITHM or len(raw) != 33:
        raise CheckpointError("not an Ed25519 verifier key")
    if _key_id(name, raw[1:]).hex() != key_id:
        raise CheckpointError("verifier key id does not match its key")
    return name, raw[1:]


def _parse_body(body: str, origin: str) -> Checkpoint:
    lines = body.split("\n")
    if len(lines) < 4 or lines[0] != origin:
        raise CheckpointError("checkpoint origin does not match the key")
    if not lines[1].isdigit() or (len(lines[1]) > 1 and lines[1].startswith("0")):
        raise CheckpointError("malformed tree size")
    root = _b64(lines[2])
    if len(root) != 32:
        raise CheckpointError("root hash is not 32 bytes")
    return Checkpoint(origin, int(lines[1]), root)


def _b64(text: str) -> bytes:
    """Standard base64 in its one canonical spelling: the decoder alone ignores the
    unused low bits of the last character, so two spellings would carry one signature."""
    try:
        decoded = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise CheckpointError("malformed base64") from error
    if base64.b64encode(decoded).decode() != text:
        raise CheckpointError("base64 is not in canonical form")
    return decoded
