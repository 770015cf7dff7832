"""Queries on a user's own profile rows, always keyed by the authenticated user's id."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.users.models import Avatar


async def avatar_of(session: AsyncSession, user_id: str) -> Avatar | None:
    return await session.get(Avatar, user_id)
