"""Retrieval jobs that run on the workers, and the functions that queue them.

Every change to what is indexed (a new or edited entry, a chat message, a deletion)
queues a job in the same transaction; it is sent to the workers once that commits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.jobs.service import Progress, handler, submit
from confidant.rag import service
from confidant.rag.models import SOURCE_MESSAGE, Chunk
from confidant.users import hooks as users_hooks

if TYPE_CHECKING:
    from confidant.runtime import Runtime

INDEX = "rag.index"
FORGET = "rag.forget"
FORGET_USER = "rag.forget_user"
REINDEX = "rag.reindex"


def schedule_index(
    session: AsyncSession, user_id: str, source_type: str, source_ids: list[str]
) -> None:
    """(Re)index entries or messages once the current transaction commits."""
    submit(session, INDEX, user_id, {"source_type": source_type, "source_ids": source_ids})


def schedule_removal(session: AsyncSession, user_id: str, source_ids: list[str]) -> None:
    """Drop the vectors of these sources once the current transaction commits (their
    chunk rows go in that transaction)."""
    if source_ids:
        submit(session, FORGET, user_id, {"source_ids": source_ids})


@users_hooks.CHATS_FORGOTTEN.subscribe
async def forget_chat_messages(session: AsyncSession, user_id: str) -> None:
    """Drop everything indexed from the user's chat messages (they opted out)."""
    source_ids = list(
        await session.scalars(
            select(Chunk.source_id)
            .where(Chunk.user_id == user_id, Chunk.source_type == SOURCE_MESSAGE)
            .distinct()
        )
    )
    await service.delete_source_chunks(session, user_id, source_ids)
    schedule_removal(session, user_id, source_ids)


def schedule_user_removal(session: AsyncSession, user_id: str) -> None:
    """Drop every vector of a user whose account goes in this transaction; the job
    belongs to nobody, since its owner's row (and jobs) are deleted with it."""
    submit(session, FORGET_USER, None, {"user_id": user_id})


@users_hooks.ACCOUNT_DELETED.subscribe
async def _forget_departing_user(session: AsyncSession, user_id: str) -> None:
    schedule_user_removal(session, user_id)


@handler(INDEX)
async def index(
    rt: Runtime, params: dict[str, Any], user_id: str | None, progress: Progress
) -> None:
    assert user_id is not None
    source_ids: list[str] = params["source_ids"]
    progress.update(0, len(source_ids))
    for start in range(0, len(source_ids), service.INDEX_BATCH):
        batch = source_ids[start : start + service.INDEX_BATCH]
        await service.index_sources(rt, user_id, params["source_type"], batch)
        progress.update(start + len(batch))


@handler(FORGET)
async def forget(
    rt: Runtime, params: dict[str, Any], user_id: str | None, _progress: Progress
) -> None:
    assert user_id is not None
    await (await rt.rag.store()).delete_sources(user_id, params["source_ids"])


@handler(FORGET_USER)
async def forget_user(
    rt: Runtime, params: dict[str, Any], _user_id: str | None, _progress: Progress
) -> None:
    await (await rt.rag.store()).delete_user(params["user_id"])


@handler(REINDEX)
async def reindex(
    rt: Runtime, _params: dict[str, Any], user_id: str | None, progress: Progress
) -> None:
    """Index the user's diary and own chat messages again from scratch."""
    assert user_id is not None
    progress.update(0, 1)
    await service.reindex_user(rt, user_id)
    progress.update(1, 1)
