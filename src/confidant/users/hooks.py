"""What other domains do when an account goes, or stops lending its chats to retrieval.

rag and finetune subscribe here; users fires these and imports neither."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.kit.hooks import Hook

# In the deleting transaction, after the user's data key is destroyed: (session, user id).
ACCOUNT_DELETED: Hook[[AsyncSession, str]] = Hook("users.account_deleted")
# The user turned `remember_chats` off, in that transaction: (session, user id).
CHATS_FORGOTTEN: Hook[[AsyncSession, str]] = Hook("users.chats_forgotten")
