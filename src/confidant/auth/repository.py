"""Queries on accounts by their blind indexes (email, phone)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User


async def user_by_email_index(session: AsyncSession, email_index: str) -> User | None:
    return await session.scalar(select(User).where(User.email_index == email_index))


async def phone_taken(session: AsyncSession, phone_index: str, except_user: str) -> bool:
    found = await session.scalar(
        select(User.id).where(User.phone_index == phone_index, User.id != except_user)
    )
    return found is not None
