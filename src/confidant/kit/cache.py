"""An in-process cache of per-user read models, kept honest by generations.

Every commit that touched a user's rows drops that user's entries (see `track_user`),
so within one process a read never returns data older than the last commit. Other
processes (more workers, the CLI) are bounded by the time-to-live instead.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

V = TypeVar("V")

CACHE_INFO_KEY = "user_read_cache"
TOUCHED_INFO_KEY = "touched_users"


class UserReadCache(Generic[V]):
    def __init__(self, ttl_seconds: float, max_entries: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], tuple[float, V]] = OrderedDict()
        self._generations: dict[str, int] = {}

    def generation(self, user_id: str) -> int:
        return self._generations.get(user_id, 0)

    def get(self, user_id: str, key: str) -> V | None:
        entry = self._entries.get((user_id, key))
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            self._entries.pop((user_id, key), None)
            return None
        return entry[1]

    def put(self, user_id: str, key: str, value: V, generation: int) -> None:
        """Store `value` read at `generation`, unless the user changed since."""
        if self.ttl <= 0 or self.generation(user_id) != generation:
            return
        self._entries[(user_id, key)] = (time.monotonic() + self.ttl, value)
        self._entries.move_to_end((user_id, key))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, user_id: str) -> None:
        self._generations[user_id] = self.generation(user_id) + 1
        for entry in [k for k in self._entries if k[0] == user_id]:
            del self._entries[entry]


def track_user(session: Session | AsyncSession, user_id: str) -> None:
    """Mark `user_id` as changed by this transaction (for bulk statements the ORM can't see)."""
    session.info.setdefault(TOUCHED_INFO_KEY, set()).add(user_id)


def _owner_of(instance: Any) -> str | None:
    owner = getattr(instance, "user_id", None)
    if owner is None and getattr(instance, "__tablename__", None) == "users":
        owner = getattr(instance, "id", None)
    return owner if isinstance(owner, str) else None


@event.listens_for(Session, "after_flush")
def _collect_touched_users(session: Session, _flush: UOWTransaction) -> None:
    if CACHE_INFO_KEY not in session.info:
        return
    for instance in (*session.new, *session.dirty, *session.deleted):
        owner = _owner_of(instance)
        if owner is not None:
            track_user(session, owner)


@event.listens_for(Session, "after_commit")
def _invalidate_touched_users(session: Session) -> None:
    cache = session.info.get(CACHE_INFO_KEY)
    touched = session.info.pop(TOUCHED_INFO_KEY, set())
    if cache is not None:
        for user_id in touched:
            cache.invalidate(user_id)


@event.listens_for(Session, "after_rollback")
def _forget_touched_users(session: Session) -> None:
    session.info.pop(TOUCHED_INFO_KEY, None)
