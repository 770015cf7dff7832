"""Diary entries as other domains see them: a source rag indexes, and an activity
tracking counts. Registered here, so neither imports diary code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.crypto.envelope import DataKey
from confidant.diary.models import DiaryEntry
from confidant.rag.models import SOURCE_DIARY
from confidant.rag.sources import SourceText, register_source
from confidant.tracking.activity import register_timed_activity
from confidant.tracking.stats import Kind


async def entry_texts(
    session: AsyncSession, key: DataKey, user_id: str, entry_ids: list[str]
) -> list[SourceText]:
    """The text and date of those of the user's entries that still exist."""
    entries = await session.scalars(
        select(DiaryEntry).where(DiaryEntry.user_id == user_id, DiaryEntry.id.in_(entry_ids))
    )
    return [
        SourceText(
            entry.id,
            entry.entry_date,
            key.decrypt(
                entry.text_ct, table="diary_entries", column="text", row_id=entry.id
            ).decode(),
        )
        for entry in entries
    ]


async def all_entry_ids(session: AsyncSession, user_id: str) -> list[str]:
    return list(await session.scalars(select(DiaryEntry.id).where(DiaryEntry.user_id == user_id)))


register_source(SOURCE_DIARY, entry_texts, all_entry_ids)
register_timed_activity(Kind.DIARY, DiaryEntry.user_id, DiaryEntry.created_at)
