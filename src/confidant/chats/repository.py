"""Chat, message and query queries, always scoped to the owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.chats.models import Chat, Message, Query
from confidant.kit.pagination import older_than


async def chat_of(session: AsyncSession, user_id: str, chat_id: str) -> Chat | None:
    return await session.scalar(select(Chat).where(Chat.id == chat_id, Chat.user_id == user_id))


async def newest_chat(session: AsyncSession, user_id: str) -> Chat | None:
    statement = select(Chat).where(Chat.user_id == user_id)
    return await session.scalar(statement.order_by(Chat.updated_at.desc(), Chat.id.desc()))


async def chats_page(
    session: AsyncSession, user_id: str, after: tuple[datetime, str] | None, limit: int
) -> list[Chat]:
    statement = select(Chat).where(Chat.user_id == user_id)
    if after is not None:
        statement = statement.where(older_than(Chat.updated_at, Chat.id, after))
    statement = statement.order_by(Chat.updated_at.desc(), Chat.id.desc()).limit(limit)
    return list(await session.scalars(statement))


async def messages_page(
    session: AsyncSession, chat_id: str, after: tuple[datetime, str] | None, limit: int
) -> list[Message]:
    statement: Select[Message] = select(Message).where(Message.chat_id == chat_id)
    if after is not None:
        statement = statement.where(older_than(Message.created_at, Message.id, after))
    statement = statement.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    return list(await session.scalars(statement))


async def query_of(session: AsyncSession, user_id: str, query_id: str) -> Query | None:
    return await session.scalar(select(Query).where(Query.id == query_id, Query.user_id == user_id))
