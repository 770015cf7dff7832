"""Opaque keyset cursors: (timestamp, id) of the last item seen, newest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Generic, TypeVar

from pydantic import Field

from confidant.errors import InvalidInput
from confidant.schemas import ApiModel

T = TypeVar("T")
D = TypeVar("D", bound=date)

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")


def encode_cursor(position: date, item_id: str) -> str:
    """`position` is a date or a datetime (a datetime is a date)."""
    raw = json.dumps([position.isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: type[D]) -> tuple[D, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position, item_id = json.loads(raw)
        return kind.fromisoformat(position), str(item_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidInput(
            "Invalid cursor", details=[{"field": "query.cursor", "message": "not a cursor"}]
        ) from exc
