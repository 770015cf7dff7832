"""Where the text rag indexes comes from: each domain that has some registers a loader
for its source type (diary entries, chat messages), so rag imports none of them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.crypto.envelope import DataKey


@dataclass(frozen=True)
class SourceText:
    """One source's plain text and the day it belongs to (in the user's time zone)."""

    source_id: str
    day: date
    text: str


# (session, the user's key, user id, source ids) -> the sources of those that still exist.
LoadTexts = Callable[[AsyncSession, DataKey, str, list[str]], Awaitable[list[SourceText]]]
# (session, user id) -> the ids of every source of the user that belongs in the index.
ListIndexable = Callable[[AsyncSession, str], Awaitable[list[str]]]


@dataclass(frozen=True)
class SourceLoader:
    load: LoadTexts
    indexable: ListIndexable


LOADERS: dict[str, SourceLoader] = {}


def register_source(source_type: str, load: LoadTexts, indexable: ListIndexable) -> None:
    LOADERS[source_type] = SourceLoader(load, indexable)


def loader_for(source_type: str) -> SourceLoader:
    try:
        return LOADERS[source_type]
    except KeyError:
        raise LookupError(f"no source loader registered for {source_type!r}") from None


def source_types() -> list[str]:
    """The registered source types, in a fixed order."""
    return sorted(LOADERS)
