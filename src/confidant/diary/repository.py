"""Diary queries, always scoped to the owner."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.diary.models import DiaryEntry
from confidant.kit.pagination import older_than


async def entry_of(session: AsyncSession, user_id: str, entry_id: str) -> DiaryEntry | None:
    return await session.scalar(
        select(DiaryEntry).where(DiaryEntry.id == entry_id, DiaryEntry.user_id == user_id)
    )


async def entries_page(
    session: AsyncSession,
    user_id: str,
    after: tuple[date, str] | None,
    limit: int,
    since: date | None,
    until: date | None,
) -> list[DiaryEntry]:
    """Newest entry date first; `after` is the (date, id) of the last entry seen."""
    statement = select(DiaryEntry).where(DiaryEntry.user_id == user_id)
    if since is not None:
        statement = statement.where(DiaryEntry.entry_date >= since)
    if until is not None:
        statement = statement.where(DiaryEntry.entry_date <= until)
    if after is not None:
        statement = statement.where(older_than(DiaryEntry.entry_date, DiaryEntry.id, after))
    statement = statement.order_by(DiaryEntry.entry_date.desc(), DiaryEntry.id.desc())
    return list(await session.scalars(statement.limit(limit)))
