"""Queries on a user's own profile rows, always keyed by the authenticated user's id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.users.models import Avatar


async def avatar_of(session: AsyncSession, user_id: str) -> Avatar | None:
    return await session.get(Avatar, user_id)


async def user_by_email_index(session: AsyncSession, email_index: str) -> User | None:
    return await session.scalar(select(User).where(User.email_index == email_index))


async def phone_taken(session: AsyncSession, phone_index: str, except_user: str) -> bool:
    found = await session.scalar(
        select(User.id).where(User.phone_index == phone_index, User.id != except_user)
    )
    return found is not None
