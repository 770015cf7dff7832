"""Adapters at rest: one object per adapter under adapters/<user>/ (a folder in DATA_DIR,
or a bucket: kit/blobs.py), encrypted with the owner's data key (an adapter memorises
its owner's data). Deleting the account destroys the key first, so a copy that
survives anywhere is unreadable."""

from __future__ import annotations

from confidant.crypto.envelope import DataKey
from confidant.kit.blobs import BlobStore

TABLE, COLUMN = "models", "adapter"
ADAPTERS_AREA = "adapters"  # the folder in DATA_DIR, or the prefix in the bucket


class AdapterFiles:
    def __init__(self, blobs: BlobStore) -> None:
        self.blobs = blobs

    def write(self, key: DataKey, user_id: str, model_id: str, packed: bytes) -> str:
        """Store the adapter; returns its location (its key in the store)."""
        location = f"{user_id}/{model_id}.adapter"
        self.blobs.put(location, key.encrypt(packed, table=TABLE, column=COLUMN, row_id=model_id))
        return location

    def read(self, key: DataKey, location: str, model_id: str) -> bytes:
        sealed = self.blobs.get(location)
        return key.decrypt(sealed, table=TABLE, column=COLUMN, row_id=model_id)

    def remove_user(self, user_id: str) -> None:
        self.blobs.delete_prefix(f"{user_id}/")
