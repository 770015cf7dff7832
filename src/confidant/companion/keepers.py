"""How each channel's turn is stored: a chat keeps both messages, the query API keeps a
record, the others keep nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from confidant.auth.models import User
from confidant.chats import service as chats_service
from confidant.chats.schemas import MessageOut
from confidant.companion.service import PreparedReply

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def _reply(prepared: PreparedReply, text: str, interrupted: bool) -> chats_service.Reply:
    return chats_service.Reply(text, prepared.author, prepared.sources, interrupted)


@dataclass
class ChatTurn:
    """The user's message (drafted now, so a channel can show it at once) and the reply,
    stored together."""

    rt: Runtime
    user: User
    asked: MessageOut
    kept: MessageOut | None = None

    @classmethod
    def draft(cls, rt: Runtime, user: User, chat_id: str, content: str) -> ChatTurn:
        return cls(rt, user, chats_service.draft_user_message(chat_id, content))

    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> MessageOut:
        self.kept = await chats_service.store_turn(
            self.rt, self.user, self.asked, _reply(prepared, text, interrupted)
        )
        return self.kept


@dataclass
class QueryRecordKeeper:
    rt: Runtime
    user: User
    query: str

    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> str:
        reply = _reply(prepared, text, interrupted)
        return await chats_service.store_query(self.rt, self.user, self.query, reply)
