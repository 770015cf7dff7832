"""What other domains add to a new account: users gives it its medical card.

auth fires this and imports none of its subscribers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.hooks import Hook

# A new account's row is in the session (not yet flushed): (session, user, its data key).
ACCOUNT_CREATED: Hook[[AsyncSession, User, DataKey]] = Hook("auth.account_created")
