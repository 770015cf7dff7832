"""Opaque keyset cursors: (timestamp, id) of the last item seen, newest first."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Generic, TypeVar

from pydantic import Field
from sqlalchemy import and_, or_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from confidant.kit import jsonsafe
from confidant.kit.errors import InvalidInput
from confidant.kit.schemas import RESOURCE_ID_PATTERN, ApiModel

T = TypeVar("T")
D = TypeVar("D", bound=date)
R = TypeVar("R")
_ITEM_ID = re.compile(RESOURCE_ID_PATTERN.strip("^$"))

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
    """What `encode_cursor` made; anything else, forged or damaged, is 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        text, item_id = jsonsafe.loads(raw)
        position = kind.fromisoformat(text)
        if isinstance(position, datetime) and position.tzinfo is None:
            raise ValueError("a cursor's time is in UTC")  # the columns hold aware times
        if not isinstance(item_id, str) or not _ITEM_ID.fullmatch(item_id):
            raise ValueError("not one of our ids")
        return position, item_id
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidInput(
            "Invalid cursor", details=[{"field": "query.cursor", "message": "not a cursor"}]
        ) from exc


def older_than(
    position_column: InstrumentedAttribute[D],
    id_column: InstrumentedAttribute[str],
    after: tuple[D, str],
) -> ColumnElement[bool]:
    """Rows after the cursor in newest-first order (position, then id, descending)."""
    position, item_id = after
    return or_(position_column < position, and_(position_column == position, id_column < item_id))


def split_page(
    rows: Sequence[R], limit: int, position: Callable[[R], tuple[date, str]]
) -> tuple[list[R], str | None]:
    """`rows` were fetched with `limit + 1`: the page, and the cursor to the next one
    (None when this is the last page)."""
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    return page, encode_cursor(*position(page[-1]))


def refuse_reversed_range(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and since > until:
        raise InvalidInput("`from` is after `to`", details=[{"field": "query.from"}])
