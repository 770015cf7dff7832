"""Opaque keyset cursors: (timestamp, id) of the last item seen, newest first."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Generic, TypeVar

from pydantic import Field

from confidant.errors import InvalidInput
from confidant.schemas import ApiModel

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class Page(ApiModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page")


def encode_cursor(moment: datetime, item_id: str) -> str:
    raw = json.dumps([moment.isoformat(), item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, item_id = json.loads(raw)
        return datetime.fromisoformat(moment), str(item_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidInput(
            "Invalid cursor", details=[{"field": "query.cursor", "message": "not a cursor"}]
        ) from exc
