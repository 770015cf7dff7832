"""Chats, their messages and stored turns, and the query API's records.

A turn spans a generation that may take many seconds, so it does not hold the
request's transaction: the user's message and the reply are committed together once
the reply is complete (or cut short), so a reply that fails leaves no message without
its answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.chats import repository
from confidant.chats.models import Chat, Message, Query
from confidant.chats.schemas import (
    ChatCreate,
    ChatOut,
    ChatPatch,
    MessageOut,
    QueryRecord,
)
from confidant.crypto.envelope import DataKey
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import NotFound
from confidant.kit.pagination import Page
from confidant.kit.repository import keyset_page, owned, scoped
from confidant.llm.base import ChatMessage
from confidant.rag import service as rag_service
from confidant.rag import tasks as rag_tasks
from confidant.rag.models import SOURCE_MESSAGE
from confidant.rag.schemas import SourceOut

if TYPE_CHECKING:
    from confidant.runtime import Runtime

# --- chats -------------------------------------------------------------------------------


def chat_out(chat: Chat, key: DataKey) -> ChatOut:
    return ChatOut(
        id=chat.id,
        title=key.decrypt_text(chat.title_ct, table="chats", column="title", row_id=chat.id),
        model=chat.model,
        flagged=chat.flagged_at is not None,
        created_at=chat.created_at,
        updated_at=chat.updated_at,
    )


async def find_chat(session: AsyncSession, user: User, chat_id: str) -> Chat | None:
    return await session.scalar(scoped(Chat, user.id).where(Chat.id == chat_id))


async def own_chat(session: AsyncSession, user: User, chat_id: str) -> Chat:
    return await owned(session, Chat, user.id, chat_id, missing="Chat not found")


async def create_chat(
    rt: Runtime, session: AsyncSession, user: User, data: ChatCreate
) -> tuple[ChatOut, bool]:
    """A new chat, or with `resume` the newest existing one. True when one was created."""
    key = await rt.keystore.user_key(user.id)
    if data.resume and (newest := await repository.newest_chat(session, user.id)):
        return chat_out(newest, key), False
    chat = Chat(id=new_id(), user_id=user.id, created_at=utcnow(), updated_at=utcnow())
    chat.model = rt.models.require_available(data.model) if data.model else None
    chat.title_ct = key.encrypt_text(data.title, table="chats", column="title", row_id=chat.id)
    session.add(chat)
    return chat_out(chat, key), True


async def list_chats(
    rt: Runtime, session: AsyncSession, user: User, cursor: str | None, limit: int
) -> Page[ChatOut]:
    key = await rt.keystore.user_key(user.id)
    return await keyset_page(
        session,
        scoped(Chat, user.id),
        lambda chat: chat_out(chat, key),
        newest_first_by=Chat.updated_at,
        kind=datetime,
        cursor=cursor,
        limit=limit,
    )


async def get_chat(rt: Runtime, session: AsyncSession, user: User, chat_id: str) -> ChatOut:
    key = await rt.keystore.user_key(user.id)
    return chat_out(await own_chat(session, user, chat_id), key)


async def update_chat(
    rt: Runtime, session: AsyncSession, user: User, chat_id: str, data: ChatPatch
) -> ChatOut:
    key = await rt.keystore.user_key(user.id)
    chat = await own_chat(session, user, chat_id)
    if data.title is not None:
        chat.title_ct = key.encrypt_text(data.title, table="chats", column="title", row_id=chat.id)
    if data.model is not None:
        chat.model = rt.models.require_available(data.model)
    chat.updated_at = utcnow()
    return chat_out(chat, key)


async def delete_chat(rt: Runtime, session: AsyncSession, user: User, chat_id: str) -> None:
    """The chat, its messages, and what was indexed from them."""
    chat = await own_chat(session, user, chat_id)
    message_ids = list(await session.scalars(select(Message.id).where(Message.chat_id == chat.id)))
    await rag_service.delete_source_chunks(session, user.id, message_ids)
    rag_tasks.schedule_removal(session, user.id, message_ids)
    await session.execute(delete(Message).where(Message.chat_id == chat.id))
    await session.delete(chat)


def message_out(message: Message, key: DataKey) -> MessageOut:
    content = key.decrypt_text(
        message.content_ct, table="messages", column="content", row_id=message.id
    )
    sources = None
    if message.sources_ct is not None:
        sources = key.decrypt_json(
            message.sources_ct, table="messages", column="sources", row_id=message.id
        )
    return MessageOut(
        id=message.id,
        chat_id=message.chat_id,
        role="user" if message.role == "user" else "assistant",
        content=content or "",
        model=message.model,
        sources=sources,
        interrupted=message.interrupted,
        created_at=message.created_at,
    )


async def list_messages(
    rt: Runtime, session: AsyncSession, user: User, chat_id: str, cursor: str | None, limit: int
) -> Page[MessageOut]:
    """Newest first, for infinite scroll upwards."""
    key = await rt.keystore.user_key(user.id)
    chat = await own_chat(session, user, chat_id)
    return await keyset_page(
        session,
        scoped(Message, user.id).where(Message.chat_id == chat.id),
        lambda message: message_out(message, key),
        newest_first_by=Message.created_at,
        kind=datetime,
        cursor=cursor,
        limit=limit,
    )


SCREEN_WINDOW = timedelta(hours=24)  # how far back the crisis screen reads a chat

# --- turns --------------------------------------------------------------------------------
# The reply itself is written by `companion`; a chat keeps its history and its turns.


async def require_chat(rt: Runtime, user: User, chat_id: str) -> None:
    """404 for a chat that is not the user's, before any work is spent on it."""
    async with rt.db.transaction() as session:
        await own_chat(session, user, chat_id)


async def flag_chat(session: AsyncSession, user: User, chat_id: str) -> None:
    chat = await own_chat(session, user, chat_id)
    chat.flagged_at = chat.flagged_at or utcnow()


@dataclass(frozen=True)
class RecentHistory:
    model: str | None  # the chat's own model, if one was picked
    messages: list[ChatMessage]  # the latest messages, oldest first
    user_turns_today: list[str]  # what the person said in the last day, oldest first


async def recent_history(
    rt: Runtime, session: AsyncSession, user: User, chat_id: str, key: DataKey
) -> RecentHistory:
    """The chat's model, its latest messages, and the person's own recent turns (the
    crisis screen reads those with a new message)."""
    chat = await own_chat(session, user, chat_id)
    rows = await repository.latest_messages(session, chat.id, rt.settings.chat_history_messages)
    rows.reverse()
    texts = [
        key.decrypt_text(m.content_ct, table="messages", column="content", row_id=m.id) or ""
        for m in rows
    ]
    since = utcnow() - SCREEN_WINDOW
    today = [
        text
        for m, text in zip(rows, texts, strict=True)
        if m.role == "user" and m.created_at >= since
    ]
    return RecentHistory(
        chat.model,
        [{"role": m.role, "content": text} for m, text in zip(rows, texts, strict=True)],
        today,
    )


def draft_user_message(chat_id: str, content: str) -> MessageOut:
    """The user's message as it will be stored with the reply."""
    return MessageOut(
        id=new_id(), chat_id=chat_id, role="user", content=content, created_at=utcnow()
    )


def _new_message(
    key: DataKey,
    chat: Chat,
    user_id: str,
    role: str,
    content: str,
    model: str | None,
    message_id: str | None = None,
    created_at: datetime | None = None,
) -> Message:
    message = Message(
        id=message_id or new_id(),
        chat_id=chat.id,
        user_id=user_id,
        role=role,
        model=model,
        created_at=created_at or utcnow(),
    )
    message.content_ct = key.encrypt(
        content.encode(), table="messages", column="content", row_id=message.id
    )
    return message


@dataclass(frozen=True)
class Reply:
    text: str
    model: str
    sources: list[SourceOut]
    interrupted: bool = False


async def store_turn(rt: Runtime, user: User, asked: MessageOut, reply: Reply) -> MessageOut:
    """Store the user's message and the companion's reply (committed together)."""
    async with rt.db.transaction() as session:
        chat = await find_chat(session, user, asked.chat_id)
        if chat is None:
            raise NotFound("Chat was deleted while the reply was written")
        key = await rt.keystore.user_key(user.id)
        session.add(
            _new_message(
                key, chat, user.id, "user", asked.content, None, asked.id, asked.created_at
            )
        )
        if user.preferences.get("remember_chats", True):
            rag_tasks.schedule_index(session, user.id, SOURCE_MESSAGE, [asked.id])
        message = _new_message(key, chat, user.id, "assistant", reply.text, reply.model)
        message.interrupted = reply.interrupted
        if reply.sources:
            message.sources_ct = key.encrypt_json(
                [s.model_dump(mode="json", by_alias=True) for s in reply.sources],
                table="messages",
                column="sources",
                row_id=message.id,
            )
        session.add(message)
        chat.updated_at = utcnow()
        return message_out(message, key)


# --- query API ------------------------------------------------------------------------------


async def store_query(rt: Runtime, user: User, query: str, answer: Reply) -> str:
    """A one-shot question and its answer, stored encrypted; the query's id."""
    key = await rt.keystore.user_key(user.id)
    async with rt.db.transaction() as session:
        return _store_query(session, key, user, query, answer)


def _store_query(session: AsyncSession, key: DataKey, user: User, query: str, answer: Reply) -> str:
    record = Query(id=new_id(), user_id=user.id, model=answer.model, created_at=utcnow())
    record.interrupted = answer.interrupted
    record.query_ct = key.encrypt(query.encode(), table="queries", column="query", row_id=record.id)
    record.response_ct = key.encrypt(
        answer.text.encode(), table="queries", column="response", row_id=record.id
    )
    session.add(record)
    return record.id


async def get_query(rt: Runtime, session: AsyncSession, user: User, query_id: str) -> QueryRecord:
    record = await owned(session, Query, user.id, query_id, missing="Query not found")
    key = await rt.keystore.user_key(user.id)
    return QueryRecord(
        query_id=record.id,
        query=key.decrypt(
            record.query_ct, table="queries", column="query", row_id=record.id
        ).decode(),
        response=key.decrypt(
            record.response_ct, table="queries", column="response", row_id=record.id
        ).decode(),
        model=record.model,
        interrupted=record.interrupted,
        created_at=record.created_at,
    )
