"""Adapters at rest: one file per adapter under DATA_DIR/adapters/<user>/, encrypted with
the owner's data key (an adapter memorises its owner's data). Deleting the account
destroys the key first, so a copy that survives anywhere is unreadable."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from confidant.crypto.envelope import DataKey

TABLE, COLUMN = "models", "adapter"


class AdapterFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, user_id: str, model_id: str) -> Path:
        return self.root / user_id / f"{model_id}.adapter"

    def write(self, key: DataKey, user_id: str, model_id: str, packed: bytes) -> str:
        """Store the adapter; returns its location (the path, relative to the root)."""
        path = self._path(user_id, model_id)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        sealed = key.encrypt(packed, table=TABLE, column=COLUMN, row_id=model_id)
        partial = path.with_suffix(".partial")
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
            f.write(sealed)
        os.replace(partial, path)  # readers never see half an adapter
        return str(path.relative_to(self.root))

    def read(self, key: DataKey, location: str, model_id: str) -> bytes:
        sealed = (self.root / location).read_bytes()
        return key.decrypt(sealed, table=TABLE, column=COLUMN, row_id=model_id)

    def remove_user(self, user_id: str) -> None:
        shutil.rmtree(self.root / user_id, ignore_errors=True)
