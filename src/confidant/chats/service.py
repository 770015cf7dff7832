"""Chats and turns: screen the user's message, stream the companion's reply, store both.

A turn spans a generation that may take many seconds, so it does not hold the
request's transaction. A crisis signal is committed before the reply starts; the
user's message and the reply are committed together once the reply is complete, so a
reply that fails leaves no message without its answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
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
    QueryOut,
    QueryRecord,
)
from confidant.crypto.envelope import DataKey
from confidant.finetune import service as finetune_service
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import NotFound
from confidant.kit.pagination import Page, decode_cursor, split_page
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams
from confidant.llm.context import fit_context
from confidant.llm.generation import complete, default_params, stream_reply
from confidant.rag import answers as rag_answers
from confidant.rag import service as rag_service
from confidant.rag import tasks as rag_tasks
from confidant.rag.models import SOURCE_MESSAGE
from confidant.rag.schemas import SourceOut
from confidant.safety import service as safety_service
from confidant.sensors import service as sensors_service

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


async def own_chat(session: AsyncSession, user: User, chat_id: str) -> Chat:
    chat = await repository.chat_of(session, user.id, chat_id)
    if chat is None:
        raise NotFound("Chat not found")
    return chat


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
    after = decode_cursor(cursor, datetime) if cursor else None
    chats = await repository.chats_page(session, user.id, after, limit + 1)
    chats, next_cursor = split_page(chats, limit, lambda c: (c.updated_at, c.id))
    return Page[ChatOut](items=[chat_out(c, key) for c in chats], next_cursor=next_cursor)


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
        created_at=message.created_at,
    )


async def list_messages(
    rt: Runtime, session: AsyncSession, user: User, chat_id: str, cursor: str | None, limit: int
) -> Page[MessageOut]:
    """Newest first, for infinite scroll upwards."""
    key = await rt.keystore.user_key(user.id)
    chat = await own_chat(session, user, chat_id)
    after = decode_cursor(cursor, datetime) if cursor else None
    rows = await repository.messages_page(session, chat.id, after, limit + 1)
    rows, next_cursor = split_page(rows, limit, lambda m: (m.created_at, m.id))
    return Page[MessageOut](items=[message_out(m, key) for m in rows], next_cursor=next_cursor)


# --- turns --------------------------------------------------------------------------------


@dataclass
class Turn:
    """Everything a reply needs; the user's message is stored with the reply."""

    user_id: str
    chat_id: str
    model: ChatModel
    context: list[ChatMessage]
    params: GenerationParams
    crisis_resources: str | None
    user_message: MessageOut
    sources: list[SourceOut]
    remember: bool  # index the user's message for retrieval


def screen(rt: Runtime, session: AsyncSession, user: User, text: str, chat: Chat) -> str | None:
    """Crisis screen: on a signal, record it, flag the chat, and return the resources."""
    signal = rt.crisis.screen(text)
    if signal is None:
        return None
    safety_service.record_signal(session, user, signal, "chat", chat.id)
    chat.flagged_at = chat.flagged_at or utcnow()
    return rt.crisis.resources_for(user.preferences.get("language"))


async def begin_turn(rt: Runtime, user: User, chat_id: str, content: str) -> Turn:
    """Screen the user's message (a crisis signal is committed) and prepare the model's
    context, grounded in the user's own notes."""
    # Retrieval (embedding the message) runs alongside the history query: it would
    # otherwise add its whole time to the time to first token.
    grounding = asyncio.create_task(rag_answers.grounding(rt, user, content))
    try:
        async with rt.db.transaction() as session:
            chat = await own_chat(session, user, chat_id)
            model = await finetune_service.personalize(
                rt, session, user.id, rt.models.for_reply(chat.model)
            )
            key = await rt.keystore.user_key(user.id)
            history = await repository.messages_page(
                session, chat.id, None, rt.settings.chat_history_messages
            )
            system_prompt, sources = await grounding
            wearable = await sensors_service.context_line(rt, session, user, key)
            if wearable:
                system_prompt += "\n\n" + wearable
            return _prepare_turn(
                rt, session, user, chat, model, key, history, content, system_prompt, sources
            )
    finally:
        grounding.cancel()  # when the chat was not found, say


def _prepare_turn(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    chat: Chat,
    model: ChatModel,
    key: DataKey,
    history: list[Message],
    content: str,
    system_prompt: str,
    sources: list[SourceOut],
) -> Turn:
    params = default_params(rt.settings)
    past: list[ChatMessage] = [
        {"role": m.role, "content": message_out(m, key).content} for m in reversed(history)
    ]
    context = fit_context(
        model,
        system_prompt,
        [*past, {"role": "user", "content": content}],
        reserve=params.max_new_tokens,
    )
    resources = screen(rt, session, user, content, chat)
    user_message = MessageOut(
        id=new_id(), chat_id=chat.id, role="user", content=content, created_at=utcnow()
    )
    remember = bool(user.preferences.get("remember_chats", True))
    return Turn(
        user.id, chat.id, model, context, params, resources, user_message, sources, remember
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


def reply_stream(turn: Turn) -> AsyncIterator[str]:
    return stream_reply(turn.model, turn.context, turn.params, turn.crisis_resources)


async def finish_turn(rt: Runtime, turn: Turn, reply: str) -> MessageOut:
    """Store the user's message and the companion's reply (committed together)."""
    async with rt.db.transaction() as session:
        chat = await repository.chat_of(session, turn.user_id, turn.chat_id)
        if chat is None:
            raise NotFound("Chat was deleted while the reply was written")
        key = await rt.keystore.user_key(turn.user_id)
        asked = turn.user_message
        session.add(
            _new_message(
                key, chat, turn.user_id, "user", asked.content, None, asked.id, asked.created_at
            )
        )
        if turn.remember:
            rag_tasks.schedule_index(session, turn.user_id, SOURCE_MESSAGE, [asked.id])
        message = _new_message(key, chat, turn.user_id, "assistant", reply, turn.model.name)
        if turn.sources:
            message.sources_ct = key.encrypt_json(
                [s.model_dump(mode="json", by_alias=True) for s in turn.sources],
                table="messages",
                column="sources",
                row_id=message.id,
            )
        session.add(message)
        chat.updated_at = utcnow()
        return message_out(message, key)


# --- query API ------------------------------------------------------------------------------


async def ask(rt: Runtime, user: User, query: str, model_name: str | None) -> QueryOut:
    """A one-shot question: answered, then stored encrypted (in a transaction of its own)."""
    model = rt.models.for_reply(rt.models.require_available(model_name) if model_name else None)
    async with rt.db.transaction() as session:
        model = await finetune_service.personalize(rt, session, user.id, model)
    params = default_params(rt.settings)
    system_prompt, sources = await rag_answers.grounding(rt, user, query)
    context = fit_context(
        model, system_prompt, [{"role": "user", "content": query}], reserve=params.max_new_tokens
    )
    resources = await safety_service.screen_and_record(rt, user, query, "query")
    answer = await complete(stream_reply(model, context, params, resources))
    key = await rt.keystore.user_key(user.id)
    async with rt.db.transaction() as session:
        query_id = _store_query(session, key, user, model.name, query, answer)
    return QueryOut(query_id=query_id, response=answer, sources=sources)


def _store_query(
    session: AsyncSession, key: DataKey, user: User, model: str, query: str, answer: str
) -> str:
    record = Query(id=new_id(), user_id=user.id, model=model, created_at=utcnow())
    record.query_ct = key.encrypt(query.encode(), table="queries", column="query", row_id=record.id)
    record.response_ct = key.encrypt(
        answer.encode(), table="queries", column="response", row_id=record.id
    )
    session.add(record)
    return record.id


async def get_query(rt: Runtime, session: AsyncSession, user: User, query_id: str) -> QueryRecord:
    record = await repository.query_of(session, user.id, query_id)
    if record is None:
        raise NotFound("Query not found")
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
        created_at=record.created_at,
    )
