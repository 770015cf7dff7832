"""AES-256-GCM with associated data binding every ciphertext to its table, column and row."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = b"\x01"
NONCE_BYTES = 12
KEY_BYTES = 32


class DecryptionFailed(Exception):
    """The ciphertext was tampered with, moved to another row, or its key is gone."""


def field_context(table: str, column: str, row_id: str) -> bytes:
    return f"confidant:{table}:{column}:{row_id}".encode()


def generate_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(aead: AESGCM, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt to version byte || nonce || ciphertext-with-tag."""
    nonce = os.urandom(NONCE_BYTES)
    return FORMAT_VERSION + nonce + aead.encrypt(nonce, plaintext, associated_data)


def open_sealed(aead: AESGCM, blob: bytes, associated_data: bytes) -> bytes:
    if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_VERSION:
        raise DecryptionFailed("not a Confidant ciphertext")
    nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return aead.decrypt(nonce, body, associated_data)
    except InvalidTag as exc:
        raise DecryptionFailed("ciphertext does not authenticate in this context") from exc


class DataKey:
    """One owner's data key; encrypts fields bound to (table, column, row)."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def encrypt(self, plaintext: bytes, *, table: str, column: str, row_id: str) -> bytes:
        return seal(self._aead, plaintext, field_context(table, column, row_id))

    def decrypt(self, blob: bytes, *, table: str, column: str, row_id: str) -> bytes:
        return open_sealed(self._aead, blob, field_context(table, column, row_id))

    def encrypt_text(
        self, text: str | None, *, table: str, column: str, row_id: str
    ) -> bytes | None:
        if text is None:
            return None
        return self.encrypt(text.encode(), table=table, column=column, row_id=row_id)

    def decrypt_text(
        self, blob: bytes | None, *, table: str, column: str, row_id: str
    ) -> str | None:
        if blob is None:
            return None
        return self.decrypt(blob, table=table, column=column, row_id=row_id).decode()

    def encrypt_json(self, value: Any, *, table: str, column: str, row_id: str) -> bytes:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return self.encrypt(raw, table=table, column=column, row_id=row_id)

    def decrypt_json(self, blob: bytes, *, table: str, column: str, row_id: str) -> Any:
        return json.loads(self.decrypt(blob, table=table, column=column, row_id=row_id))
