"""Diary queries, always scoped to the owner."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select

from confidant.diary.models import DiaryEntry
from confidant.kit.repository import scoped


def entries_between(user_id: str, since: date | None, until: date | None) -> Select[DiaryEntry]:
    """The owner's entries dated from `since` to `until`, both included (None: open)."""
    statement = scoped(DiaryEntry, user_id)
    if since is not None:
        statement = statement.where(DiaryEntry.entry_date >= since)
    if until is not None:
        statement = statement.where(DiaryEntry.entry_date <= until)
    return statement
