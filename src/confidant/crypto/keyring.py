"""Master keys (key-encryption keys): the current one wraps, retired ones still unwrap."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from confidant.crypto.envelope import KEY_BYTES, DecryptionFailed, generate_key, open_sealed, seal


class KeyringError(Exception):
    """A master key is malformed, or the key a data key was wrapped with is unknown."""


@dataclass(frozen=True)
class MasterKey:
    key_id: str
    aead: AESGCM
    encoded: str

    @classmethod
    def from_bytes(cls, raw: bytes) -> MasterKey:
        if len(raw) != KEY_BYTES:
            raise KeyringError(f"a master key must be {KEY_BYTES} bytes, got {len(raw)}")
        key_id = hashlib.sha256(b"confidant-kek-id" + raw).hexdigest()[:16]
        return cls(key_id, AESGCM(raw), base64.urlsafe_b64encode(raw).decode())

    @classmethod
    def parse(cls, encoded: str) -> MasterKey:
        text = encoded.strip()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise KeyringError("a master key must be base64 of 32 random bytes") from exc
        return cls.from_bytes(raw)

    @classmethod
    def generate(cls) -> MasterKey:
        return cls.from_bytes(generate_key())


def _wrap_context(owner: str) -> bytes:
    return f"confidant:data-key:{owner}".encode()


class MasterKeyring:
    """Wraps data keys under the current master key; unwraps under any key it holds.

    A keyring read from a file notices when the file changes (`confidant keys rotate`
    rewrites it) and reloads, so a running service follows a rotation without a restart.
    """

    def __init__(self, keys: list[MasterKey], source: Path | None = None) -> None:
        if not keys:
            raise KeyringError("a keyring needs at least one master key")
        self._lock = threading.Lock()
        self._source = source
        self._mtime = source.stat().st_mtime_ns if source else 0
        self._set(keys)

    def _set(self, keys: list[MasterKey]) -> None:
        self._keys = list(keys)
        self._by_id = {key.key_id: key for key in keys}

    @property
    def current(self) -> MasterKey:
        self._reload_if_changed()
        return self._keys[0]

    @property
    def key_ids(self) -> list[str]:
        return [key.key_id for key in self._keys]

    def wrap(self, data_key: bytes, owner: str) -> tuple[str, bytes]:
        kek = self.current
        return kek.key_id, seal(kek.aead, data_key, _wrap_context(owner))

    def unwrap(self, kek_id: str, wrapped: bytes, owner: str) -> bytes:
        kek = self._by_id.get(kek_id)
        if kek is None:
            self._reload_if_changed()
            kek = self._by_id.get(kek_id)
        if kek is None:
            raise KeyringError(f"master key {kek_id} is not in the keyring")
        try:
            return open_sealed(kek.aead, wrapped, _wrap_context(owner))
        except DecryptionFailed as exc:
            raise KeyringError(f"data key of {owner} does not unwrap") from exc

    def _reload_if_changed(self) -> None:
        if self._source is None:
            return
        mtime = self._source.stat().st_mtime_ns
        if mtime == self._mtime:
            return
        with self._lock:
            self._set(read_key_file(self._source))
            self._mtime = mtime

    @classmethod
    def from_config(cls, master_key: str | None, retired: str, key_file: Path) -> MasterKeyring:
        """From MASTER_KEY (+ retired keys) when set, else the development key file."""
        if master_key:
            keys = [MasterKey.parse(master_key)]
            keys += [MasterKey.parse(item) for item in retired.split(",") if item.strip()]
            return cls(keys)
        if not key_file.exists():
            write_key_file(key_file, [MasterKey.generate()])
        return cls(read_key_file(key_file), source=key_file)


def read_key_file(path: Path) -> list[MasterKey]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return [MasterKey.parse(line) for line in lines]


def write_key_file(path: Path, keys: list[MasterKey]) -> None:
    """Atomically replace the key file (current key first), readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(key.encoded + "\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
