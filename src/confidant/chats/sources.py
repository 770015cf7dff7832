"""Chat messages as a source rag indexes: registered here, so rag imports no chats code."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.chats.models import Message
from confidant.crypto.envelope import DataKey
from confidant.kit.clock import zone_of
from confidant.rag.models import SOURCE_MESSAGE
from confidant.rag.sources import SourceText, register_source


async def message_texts(
    session: AsyncSession, key: DataKey, user_id: str, message_ids: list[str]
) -> list[SourceText]:
    """The text of those of the user's messages that still exist, on their local day."""
    user = await session.get(User, user_id)
    zone = zone_of(user) if user else ZoneInfo("UTC")
    messages = await session.scalars(
        select(Message).where(Message.user_id == user_id, Message.id.in_(message_ids))
    )
    return [
        SourceText(
            message.id,
            message.created_at.astimezone(zone).date(),
            key.decrypt(
                message.content_ct, table="messages", column="content", row_id=message.id
            ).decode(),
        )
        for message in messages
    ]


async def remembered_message_ids(session: AsyncSession, user_id: str) -> list[str]:
    """What the user wrote in their chats, unless they asked for chats not to be kept."""
    user = await session.get(User, user_id)
    if user is None or not user.preferences.get("remember_chats", True):
        return []
    return list(
        await session.scalars(
            select(Message.id).where(Message.user_id == user_id, Message.role == "user")
        )
    )


register_source(SOURCE_MESSAGE, message_texts, remembered_message_ids)
