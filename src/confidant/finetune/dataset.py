"""A user's own training data: their diary entries and their chats, decrypted with their
key, as chat-formatted examples. Nobody else's rows are ever read."""

from __future__ import annotations

from datetime import datetime
from itertools import groupby

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.chats.models import Message
from confidant.crypto.envelope import DataKey
from confidant.diary.models import DiaryEntry
from confidant.finetune.training import Example

# AES-GCM framing around each encrypted field (version, nonce, tag): subtracted when
# text is measured from ciphertext lengths, without decrypting anything.
SEALED_OVERHEAD = 29
# Turns of one chat in one example, so long chats become several examples.
TURNS_PER_EXAMPLE = 8


def diary_example(day: str, text: str) -> Example:
    return [{"role": "user", "content": f"My diary, {day}:\n{text}"}]


async def user_examples(session: AsyncSession, key: DataKey, user_id: str) -> list[Example]:
    """Each diary entry as one example; each chat as examples of consecutive turns."""
    entries = await session.execute(
        select(DiaryEntry.id, DiaryEntry.entry_date, DiaryEntry.text_ct)
        .where(DiaryEntry.user_id == user_id)
        .order_by(DiaryEntry.entry_date, DiaryEntry.id)
    )
    examples = [
        diary_example(
            day.isoformat(),
            key.decrypt(ct, table="diary_entries", column="text", row_id=entry_id).decode(),
        )
        for entry_id, day, ct in entries
    ]
    messages = await session.execute(
        select(Message.id, Message.chat_id, Message.role, Message.content_ct)
        .where(Message.user_id == user_id)
        .order_by(Message.chat_id, Message.created_at, Message.id)
    )
    for _, turns in groupby(messages, key=lambda row: row.chat_id):
        conversation = [
            {
                "role": row.role,
                "content": key.decrypt(
                    row.content_ct, table="messages", column="content", row_id=row.id
                ).decode(),
            }
            for row in turns
        ]
        for start in range(0, len(conversation), TURNS_PER_EXAMPLE):
            examples.append(conversation[start : start + TURNS_PER_EXAMPLE])
    return examples


async def new_text_since(session: AsyncSession, user_id: str, since: datetime | None) -> int:
    """About how many characters of diary and own chat text the user wrote since `since`
    (measured from ciphertext lengths: nothing is decrypted)."""
    total = 0
    for table, text, written, extra in (
        (DiaryEntry, DiaryEntry.text_ct, DiaryEntry.updated_at, true()),
        (Message, Message.content_ct, Message.created_at, Message.role == "user"),
    ):
        query = select(func.coalesce(func.sum(func.length(text) - SEALED_OVERHEAD), 0)).where(
            table.user_id == user_id, extra
        )
        if since is not None:
            query = query.where(written > since)
        total += int(await session.scalar(query) or 0)
    return total
