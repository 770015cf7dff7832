"""Wrapped data keys, kept in their own database so data backups never carry them.

Deleting an owner's key here first (crypto-shredding) leaves every copy of that
owner's ciphertext, backups included, unreadable. The owners shredded are listed too
(`shredded_owners`, ids only): backups leave that list out, and a restore applies the
live one, so a backup taken before an account was deleted cannot bring it back.
"""

from __future__ import annotations

import contextlib
import hmac
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, MetaData, String, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from confidant.crypto.envelope import DataKey, generate_key
from confidant.crypto.keyring import MasterKeyring
from confidant.kit.db import NAMING_CONVENTION, Database, UTCDateTime, utcnow
from confidant.kit.errors import Unauthorized


class KeystoreBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class WrappedKey(KeystoreBase):
    __tablename__ = "wrapped_keys"

    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(32), index=True)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ShreddedOwner(KeystoreBase):
    __tablename__ = "shredded_owners"

    owner: Mapped[str] = mapped_column(String(80), primary_key=True)
    shredded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _insert_once(dialect: str) -> Any:
    """INSERT into shredded_owners that leaves an owner already listed alone (two
    deletions of one account at once)."""
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(ShreddedOwner)
    return statement.on_conflict_do_nothing(index_elements=["owner"])


class KeyMissing(Exception):
    """The owner has no data key: never created, or destroyed with its account."""


def user_key_owner(user_id: str) -> str:
    return f"user:{user_id}"


class KeyStore:
    def __init__(self, db: Database, keyring: MasterKeyring, cache_size: int = 10_000) -> None:
        self.db = db
        self.keyring = keyring
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_size = cache_size

    async def create(self, owner: str) -> DataKey:
        """Create and store a fresh data key for `owner` (committed at once)."""
        raw = generate_key()
        kek_id, wrapped = self.keyring.wrap(raw, owner)
        async with self.db.sessionmaker() as session, session.begin():
            session.add(WrappedKey(owner=owner, kek_id=kek_id, wrapped=wrapped))
        self._remember(owner, raw)
        return DataKey(raw)

    @contextlib.asynccontextmanager
    async def provisional(self, owner: str) -> AsyncIterator[DataKey]:
        """A fresh key for `owner` that is destroyed again when the body fails. The key
        database commits on its own, so an account insert that fails (a registration that
        lost a race) would otherwise leave its key behind."""
        key = await self.create(owner)
        try:
            yield key
        except BaseException:
            await self.destroy(owner)
            raise

    async def user_key(self, user_id: str) -> DataKey:
        """The user's data key; a destroyed key means the account is gone (401)."""
        try:
            return await self.get(user_key_owner(user_id))
        except KeyMissing as exc:
            raise Unauthorized("Account no longer exists") from exc

    async def owners_created_before(self, prefix: str, cutoff: datetime, limit: int) -> list[str]:
        """Owners whose name starts with `prefix` and whose key is older than `cutoff`."""
        async with self.db.sessionmaker() as session:
            rows = await session.scalars(
                select(WrappedKey.owner)
                .where(WrappedKey.owner.startswith(prefix), WrappedKey.created_at < cutoff)
                .order_by(WrappedKey.owner)
                .limit(limit)
            )
            return list(rows)

    async def get(self, owner: str) -> DataKey:
        return DataKey(await self.raw(owner))

    async def raw(self, owner: str) -> bytes:
        cached = self._cache.get(owner)
        if cached is not None:
            self._cache.move_to_end(owner)
            return cached
        async with self.db.sessionmaker() as session:
            row = await session.get(WrappedKey, owner)
        if row is None:
            raise KeyMissing(owner)
        raw = self.keyring.unwrap(row.kek_id, row.wrapped, owner)
        self._remember(owner, raw)
        return raw

    async def system_secret(self, name: str) -> bytes:
        """A server-wide secret (e.g. the blind-index key), created on first use."""
        owner = f"system:{name}"
        try:
            return await self.raw(owner)
        except KeyMissing:
            pass
        try:
            await self.create(owner)
        except IntegrityError:
            pass  # another process created it first; use theirs
        return await self.raw(owner)

    async def destroy(self, owner: str) -> None:
        """Delete the owner's key, and list the owner as shredded, in one transaction."""
        async with self.db.sessionmaker() as session, session.begin():
            await session.execute(delete(WrappedKey).where(WrappedKey.owner == owner))
            listed = _insert_once(session.get_bind().dialect.name)
            await session.execute(listed.values(owner=owner, shredded_at=utcnow()))
        self._cache.pop(owner, None)

    async def shredded(self) -> list[str]:
        async with self.db.sessionmaker() as session:
            return list(await session.scalars(select(ShreddedOwner.owner).order_by("owner")))

    async def rewrap_all(self, batch_size: int = 500) -> int:
        """Re-wrap every key not under the current master key; data is left untouched."""
        count = 0
        while True:
            current = self.keyring.current.key_id
            async with self.db.sessionmaker() as session, session.begin():
                rows = (
                    await session.scalars(
                        select(WrappedKey).where(WrappedKey.kek_id != current).limit(batch_size)
                    )
                ).all()
                for row in rows:
                    raw = self.keyring.unwrap(row.kek_id, row.wrapped, row.owner)
                    row.kek_id, row.wrapped = self.keyring.wrap(raw, row.owner)
                    row.rewrapped_at = utcnow()
            count += len(rows)
            if len(rows) < batch_size:
                return count

    def forget_cached_keys(self) -> None:
        self._cache.clear()

    def _remember(self, owner: str, raw: bytes) -> None:
        self._cache[owner] = raw
        self._cache.move_to_end(owner)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


class BlindIndex:
    """Keyed HMAC of a normalised value, so equality lookups work on encrypted columns."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __call__(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._secret, message, "sha256").hexdigest()
