"""Finished mindfulness sessions: a title (sealed) and how long it lasted."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.db import new_id, utcnow
from confidant.kit.pagination import Page
from confidant.kit.repository import keyset_page, owned, scoped
from confidant.tracking.activity import refresh_stats
from confidant.tracking.models import MindfulnessSession
from confidant.tracking.schemas import SessionCreate, SessionOut

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def session_out(row: MindfulnessSession, key: DataKey) -> SessionOut:
    title = key.decrypt(row.title_ct, table="mindfulness_sessions", column="title", row_id=row.id)
    return SessionOut(
        id=row.id,
        title=title.decode(),
        duration_min=round(row.duration_seconds / 60, 2),
        completed_at=row.completed_at,
    )


async def record(rt: Runtime, session: AsyncSession, user: User, data: SessionCreate) -> SessionOut:
    key = await rt.keystore.user_key(user.id)
    now = utcnow()
    row = MindfulnessSession(
        id=new_id(),
        user_id=user.id,
        duration_seconds=round(data.duration_min * 60),
        completed_at=data.completed_at or now,
        created_at=now,
    )
    row.title_ct = key.encrypt(
        data.title.encode(), table="mindfulness_sessions", column="title", row_id=row.id
    )
    session.add(row)
    await refresh_stats(session, user)
    return session_out(row, key)


async def delete(session: AsyncSession, user: User, session_id: str) -> None:
    row = await owned(
        session, MindfulnessSession, user.id, session_id, missing="Mindfulness session not found"
    )
    await session.delete(row)
    await refresh_stats(session, user)


async def list_sessions(
    rt: Runtime, session: AsyncSession, user: User, cursor: str | None, limit: int
) -> Page[SessionOut]:
    key = await rt.keystore.user_key(user.id)
    return await keyset_page(
        session,
        scoped(MindfulnessSession, user.id),
        lambda row: session_out(row, key),
        newest_first_by=MindfulnessSession.completed_at,
        kind=datetime,
        cursor=cursor,
        limit=limit,
    )


async def in_range(
    session: AsyncSession, user: User, start: datetime, end: datetime
) -> list[MindfulnessSession]:
    rows = await session.scalars(
        scoped(MindfulnessSession, user.id)
        .where(MindfulnessSession.completed_at >= start, MindfulnessSession.completed_at < end)
        .order_by(MindfulnessSession.completed_at)
    )
    return list(rows)
