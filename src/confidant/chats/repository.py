"""Chat and message queries beyond one row by id (those are `kit.repository.owned`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.chats.models import Chat, Message
from confidant.kit.repository import scoped


async def newest_chat(session: AsyncSession, user_id: str) -> Chat | None:
    statement = scoped(Chat, user_id).order_by(Chat.updated_at.desc(), Chat.id.desc())
    return await session.scalar(statement)


async def latest_messages(session: AsyncSession, chat_id: str, limit: int) -> list[Message]:
    """The chat's newest messages, newest first (the chat is already the caller's)."""
    statement = (
        select(Message)
        .where(Message.chat_id == chat_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(await session.scalars(statement))
