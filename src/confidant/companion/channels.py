"""The asks of the channels that answer in one piece or own no transport of their own:
a chat turn, the query API, and grounded answers (`/api/rag/query`)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

from confidant.auth.models import User
from confidant.chats.schemas import MessageOut, QueryOut
from confidant.companion.events import Event
from confidant.companion.keepers import ChatTurn, QueryRecordKeeper
from confidant.companion.service import Ask, KeepNothing, collect, converse
from confidant.rag.schemas import RagAnswer

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def chat_turn(
    rt: Runtime, user: User, chat_id: str, content: str, channel: str = "chat"
) -> tuple[ChatTurn, AsyncGenerator[Event[MessageOut], None]]:
    """A message in a chat: its keeper (with the user's message as drafted) and events."""
    keeper = ChatTurn.draft(rt, user, chat_id, content)
    return keeper, converse(rt, Ask(user, content, channel, chat_id=chat_id), keeper)


async def ask_once(rt: Runtime, user: User, query: str, model_name: str | None) -> QueryOut:
    """A one-shot question, answered and stored."""
    model = rt.models.require_available(model_name) if model_name else None
    ask = Ask(user, query, "query", model_name=model)
    answer = await collect(converse(rt, ask, QueryRecordKeeper(rt, user, query)))
    return QueryOut(query_id=answer.kept, response=answer.text, sources=answer.prepared.sources)


async def answer_question(rt: Runtime, user: User, question: str) -> RagAnswer:
    """An answer grounded in the person's own entries, with its sources."""
    answer = await collect(converse(rt, Ask(user, question, "rag"), KeepNothing()))
    return RagAnswer(answer=answer.text, sources=answer.prepared.sources)
