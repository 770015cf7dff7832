"""Diary queries, always scoped to the owner."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.diary.models import DiaryEntry
from confidant.kit.repository import keyset_page, scoped


async def entries_page(
    session: AsyncSession,
    user_id: str,
    cursor: str | None,
    limit: int,
    since: date | None,
    until: date | None,
) -> tuple[list[DiaryEntry], str | None]:
    """Newest entry date first, and the cursor to the next page."""
    statement = scoped(DiaryEntry, user_id)
    if since is not None:
        statement = statement.where(DiaryEntry.entry_date >= since)
    if until is not None:
        statement = statement.where(DiaryEntry.entry_date <= until)
    return await keyset_page(
        session,
        statement,
        newest_first_by=DiaryEntry.entry_date,
        kind=date,
        cursor=cursor,
        limit=limit,
    )
