"""Chat and message queries beyond one row by id (those are `kit.repository.owned`)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.chats.models import Chat, Message
from confidant.kit.repository import scoped


async def newest_chat(session: AsyncSession, user_id: str) -> Chat | None:
    statement = scoped(Chat, user_id).order_by(Chat.updated_at.desc(), Chat.id.desc())
    return await session.scalar(statement)


class HistoryRow(NamedTuple):
    id: str
    role: str
    content_ct: bytes
    created_at: datetime


async def latest_messages(session: AsyncSession, chat_id: str, limit: int) -> list[HistoryRow]:
    """The chat's newest messages, newest first (the chat is already the caller's): only
    what a reply's context needs, read as plain rows (no ORM objects, no sources)."""
    statement = (
        select(Message.id, Message.role, Message.content_ct, Message.created_at)
        .where(Message.chat_id == chat_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return [HistoryRow(*row) for row in await session.execute(statement)]
