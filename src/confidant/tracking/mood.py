"""Mood entries: score, note and tags sealed together under the owner's key."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.clock import day_bounds, zone_of
from confidant.kit.db import new_id, utcnow
from confidant.kit.encrypted import open_document, seal_document
from confidant.kit.pagination import Page
from confidant.kit.repository import keyset_page, owned, scoped
from confidant.tracking.activity import refresh_stats
from confidant.tracking.models import MoodEntry
from confidant.tracking.schemas import MoodCreate, MoodOut, MoodPatch

MOOD_NOT_FOUND = "Mood entry not found"

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def _seal(entry: MoodEntry, key: DataKey, content: dict[str, Any]) -> None:
    entry.data_ct = seal_document(key, entry, "data", content)


def _open(entry: MoodEntry, key: DataKey) -> dict[str, Any]:
    return open_document(key, entry, "data", entry.data_ct)


def mood_out(entry: MoodEntry, key: DataKey) -> MoodOut:
    content = _open(entry, key)
    return MoodOut(
        id=entry.id,
        score=content["score"],
        note=content["note"],
        tags=content["tags"],
        logged_at=entry.logged_at,
        created_at=entry.created_at,
    )


def score_of(entry: MoodEntry, key: DataKey) -> int:
    return int(_open(entry, key)["score"])


async def create(rt: Runtime, session: AsyncSession, user: User, data: MoodCreate) -> MoodOut:
    key = await rt.keystore.user_key(user.id)
    now = utcnow()
    entry = MoodEntry(id=new_id(), user_id=user.id, logged_at=data.logged_at or now, created_at=now)
    _seal(entry, key, {"score": data.score, "note": data.note, "tags": list(data.tags)})
    session.add(entry)
    await refresh_stats(session, user)
    return mood_out(entry, key)


async def get(rt: Runtime, session: AsyncSession, user: User, entry_id: str) -> MoodOut:
    key = await rt.keystore.user_key(user.id)
    return mood_out(await owned(session, MoodEntry, user.id, entry_id, missing=MOOD_NOT_FOUND), key)


async def update(
    rt: Runtime, session: AsyncSession, user: User, entry_id: str, patch: MoodPatch
) -> MoodOut:
    key = await rt.keystore.user_key(user.id)
    entry = await owned(session, MoodEntry, user.id, entry_id, missing=MOOD_NOT_FOUND)
    content = _open(entry, key)
    changes = patch.model_dump(exclude_none=True, include={"score", "note", "tags"})
    _seal(entry, key, {**content, **changes})
    if patch.logged_at is not None:
        entry.logged_at = patch.logged_at
        await refresh_stats(session, user)
    return mood_out(entry, key)


async def delete(session: AsyncSession, user: User, entry_id: str) -> None:
    await session.delete(await owned(session, MoodEntry, user.id, entry_id, missing=MOOD_NOT_FOUND))
    await refresh_stats(session, user)


async def list_entries(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    cursor: str | None,
    limit: int,
    since: date | None,
    until: date | None,
) -> Page[MoodOut]:
    """Newest first; `since`/`until` are the user's own calendar days."""
    key = await rt.keystore.user_key(user.id)
    query = scoped(MoodEntry, user.id)
    zone = zone_of(user)
    if since is not None:
        query = query.where(MoodEntry.logged_at >= day_bounds(since, since, zone)[0])
    if until is not None:
        query = query.where(MoodEntry.logged_at < day_bounds(until, until, zone)[1])
    return await keyset_page(
        session,
        query,
        lambda entry: mood_out(entry, key),
        newest_first_by=MoodEntry.logged_at,
        kind=datetime,
        cursor=cursor,
        limit=limit,
    )


async def in_range(
    session: AsyncSession, user: User, start: datetime, end: datetime
) -> list[MoodEntry]:
    rows = await session.scalars(
        scoped(MoodEntry, user.id)
        .where(MoodEntry.logged_at >= start)
        .where(MoodEntry.logged_at < end)
        .order_by(MoodEntry.logged_at)
    )
    return list(rows)
