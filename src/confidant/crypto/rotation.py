"""Master-key rotation: every data key is re-wrapped; no field ciphertext is touched."""

from __future__ import annotations

from dataclasses import dataclass

from confidant.config import Settings
from confidant.crypto.keyring import MasterKey, MasterKeyring, read_key_file, write_key_file
from confidant.crypto.keystore import KeyStore
from confidant.kit.db import Database


@dataclass(frozen=True)
class RotationReport:
    new_key_id: str
    rewrapped: int
    new_key_file: bool


async def rotate(settings: Settings) -> RotationReport:
    """Re-wrap every data key under the current master key.

    With MASTER_KEY set, the operator has already made the new key current (and listed
    the old one in RETIRED_MASTER_KEYS); this re-wraps, after which the old key can go.
    With the development key file, this also generates the new key: the file first
    lists new and old (running services reload it and can read both), then, once all
    keys are re-wrapped, the new key alone.
    """
    if settings.master_key:
        keyring = MasterKeyring.from_config(
            settings.master_key, settings.retired_master_keys, settings.master_key_file
        )
        return RotationReport(keyring.current.key_id, await _rewrap(settings, keyring), False)

    path = settings.master_key_file
    old_keys = read_key_file(path) if path.exists() else []
    new_key = MasterKey.generate()
    keyring = MasterKeyring([new_key, *old_keys])
    write_key_file(path, [new_key, *old_keys])
    count = await _rewrap(settings, keyring)
    write_key_file(path, [new_key])
    count += await _rewrap(settings, keyring)  # anything wrapped under an old key meanwhile
    return RotationReport(new_key.key_id, count, True)


async def _rewrap(settings: Settings, keyring: MasterKeyring) -> int:
    db = Database(settings.resolved_keystore_url)
    try:
        return await KeyStore(db, keyring).rewrap_all()
    finally:
        await db.dispose()
