"""Diary entries: written encrypted, (re)indexed for retrieval after each commit."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.diary import importer, repository
from confidant.diary.models import DiaryEntry
from confidant.diary.schemas import EntryCreate, EntryOut, EntryPatch, ImportResult
from confidant.kit.clock import today_for
from confidant.kit.db import new_id, utcnow
from confidant.kit.pagination import Page
from confidant.kit.repository import keyset_page, owned
from confidant.rag import service as rag_service
from confidant.rag import tasks as rag_tasks
from confidant.rag.models import SOURCE_DIARY
from confidant.tracking.activity import refresh_stats

ENTRY_NOT_FOUND = "Diary entry not found"

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def _seal(entry: DiaryEntry, key: DataKey, text: str) -> None:
    entry.text_ct = key.encrypt(
        text.encode(), table="diary_entries", column="text", row_id=entry.id
    )


def entry_out(entry: DiaryEntry, key: DataKey) -> EntryOut:
    text = key.decrypt(entry.text_ct, table="diary_entries", column="text", row_id=entry.id)
    return EntryOut(
        id=entry.id,
        date=entry.entry_date,
        text=text.decode(),
        mood=entry.mood,
        tags=list(entry.tags),
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def _add(
    rt: Runtime, session: AsyncSession, user: User, key: DataKey, data: EntryCreate
) -> DiaryEntry:
    now = utcnow()
    entry = DiaryEntry(
        id=new_id(),
        user_id=user.id,
        entry_date=data.date,
        mood=data.mood,
        tags=list(data.tags),
        created_at=now,
        updated_at=now,
    )
    _seal(entry, key, data.text)
    session.add(entry)
    return entry


async def create(rt: Runtime, session: AsyncSession, user: User, data: EntryCreate) -> EntryOut:
    key = await rt.keystore.user_key(user.id)
    entry = _add(rt, session, user, key, data)
    rag_tasks.schedule_index(session, user.id, SOURCE_DIARY, [entry.id])
    await refresh_stats(session, user)
    return entry_out(entry, key)


async def get(rt: Runtime, session: AsyncSession, user: User, entry_id: str) -> EntryOut:
    key = await rt.keystore.user_key(user.id)
    return entry_out(
        await owned(session, DiaryEntry, user.id, entry_id, missing=ENTRY_NOT_FOUND), key
    )


async def update(
    rt: Runtime, session: AsyncSession, user: User, entry_id: str, patch: EntryPatch
) -> EntryOut:
    key = await rt.keystore.user_key(user.id)
    entry = await owned(session, DiaryEntry, user.id, entry_id, missing=ENTRY_NOT_FOUND)
    sent = patch.model_fields_set
    if patch.date is not None:
        entry.entry_date = patch.date
    if patch.text is not None:
        _seal(entry, key, patch.text)
    if "mood" in sent:
        entry.mood = patch.mood
    if patch.tags is not None:
        entry.tags = list(patch.tags)
    entry.updated_at = utcnow()
    rag_tasks.schedule_index(session, user.id, SOURCE_DIARY, [entry.id])
    return entry_out(entry, key)


async def delete(rt: Runtime, session: AsyncSession, user: User, entry_id: str) -> None:
    entry = await owned(session, DiaryEntry, user.id, entry_id, missing=ENTRY_NOT_FOUND)
    await rag_service.delete_source_chunks(session, user.id, [entry.id])
    await session.delete(entry)
    rag_tasks.schedule_removal(session, user.id, [entry.id])
    await refresh_stats(session, user)


async def list_entries(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    cursor: str | None,
    limit: int,
    since: date | None,
    until: date | None,
) -> Page[EntryOut]:
    key = await rt.keystore.user_key(user.id)
    return await keyset_page(
        session,
        repository.entries_between(user.id, since, until),
        lambda entry: entry_out(entry, key),
        newest_first_by=DiaryEntry.entry_date,
        kind=date,
        cursor=cursor,
        limit=limit,
    )


async def import_file(
    rt: Runtime, session: AsyncSession, user: User, filename: str, raw: bytes
) -> ImportResult:
    """Entries from an uploaded file; all or nothing."""
    entries = importer.parse_upload(filename, raw, today_for(user))
    key = await rt.keystore.user_key(user.id)
    added = [_add(rt, session, user, key, data) for data in entries]
    rag_tasks.schedule_index(session, user.id, SOURCE_DIARY, [e.id for e in added])
    await refresh_stats(session, user)
    days = [e.date for e in entries]
    return ImportResult(
        created=len(entries), first_date=min(days, default=None), last_date=max(days, default=None)
    )
