"""Queries on a user's own profile rows, always keyed by the authenticated user's id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.users.models import Avatar, MedicalCard


async def card_of(session: AsyncSession, user_id: str) -> MedicalCard | None:
    return await session.scalar(select(MedicalCard).where(MedicalCard.user_id == user_id))


async def avatar_of(session: AsyncSession, user_id: str) -> Avatar | None:
    return await session.get(Avatar, user_id)
