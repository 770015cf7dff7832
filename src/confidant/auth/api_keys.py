"""Personal API keys for the OpenAI-compatible API: shown once, stored as SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import ApiKey, User
from confidant.auth.service import Principal
from confidant.kit.db import utcnow
from confidant.kit.errors import Forbidden, Unauthorized
from confidant.kit.repository import one_or_404, scoped

KEY_PREFIX = "cfd_"
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(session: AsyncSession, principal: Principal, name: str) -> tuple[ApiKey, str]:
    """A new key; the plaintext is returned this once and never stored."""
    if principal.is_guest:
        raise Forbidden("Guests cannot create API keys; register first")
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(
        user_id=principal.user.id, name=name, prefix=plaintext[:12], key_hash=_digest(plaintext)
    )
    session.add(record)
    return record, plaintext


def _live_keys_of(principal: Principal) -> Select[ApiKey]:
    return scoped(ApiKey, principal.user.id).where(ApiKey.revoked_at.is_(None))


async def list_keys(session: AsyncSession, principal: Principal) -> list[ApiKey]:
    rows = await session.scalars(_live_keys_of(principal).order_by(ApiKey.created_at.desc()))
    return list(rows)


async def revoke(session: AsyncSession, principal: Principal, key_id: str) -> None:
    live = _live_keys_of(principal).where(ApiKey.id == key_id)
    record = await one_or_404(session, live, missing="API key not found")
    record.revoked_at = utcnow()


async def authenticate(session: AsyncSession, key: str) -> Principal:
    """The owner of a live API key."""
    row = (
        await session.execute(
            select(ApiKey, User)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == _digest(key), ApiKey.revoked_at.is_(None))
        )
    ).first()
    if row is None:
        raise Unauthorized("Invalid API key")
    record, user = row
    now = utcnow()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_GRANULARITY:
        record.last_used_at = now
    return Principal(user, family_id=f"api-key:{record.id}")
