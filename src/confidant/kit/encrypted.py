"""JSON documents sealed under the owner's data key, bound to their table, column and row."""

from __future__ import annotations

from typing import Any, Protocol


class DocumentKey(Protocol):
    """What the keystore's data keys offer for JSON fields (kit imports no crypto)."""

    def encrypt_json(self, value: Any, *, table: str, column: str, row_id: str) -> bytes: ...

    def decrypt_json(self, blob: bytes, *, table: str, column: str, row_id: str) -> Any: ...


class Row(Protocol):
    """A mapped row: its table name and its id."""

    __tablename__: Any
    id: Any


def seal_document(key: DocumentKey, row: Row, column: str, document: dict[str, Any]) -> bytes:
    """`document` encrypted for `row`'s `column`."""
    return key.encrypt_json(document, table=row.__tablename__, column=column, row_id=row.id)


def open_document(key: DocumentKey, row: Row, column: str, blob: bytes) -> dict[str, Any]:
    """What `seal_document` sealed for this row and column."""
    document: dict[str, Any] = key.decrypt_json(
        blob, table=row.__tablename__, column=column, row_id=row.id
    )
    return document
