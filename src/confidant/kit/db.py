"""Database engines and the request session that owns the transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, DateTime, Dialect, Engine, MetaData, TypeDecorator, event, exc
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry

from confidant.kit.db_sqlite import BUSY_TIMEOUT_MS, one_hop_dbapi
from confidant.kit.errors import DatabaseUnavailable, DomainError

T = TypeVar("T")
log = logging.getLogger("confidant.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _take_write_lock_at_begin(
    dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry
) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@dataclass(frozen=True)
class ServerTimeouts:
    """How long a database server may keep a request waiting (server engines only; SQLite
    has its busy timeout): so that a server that is down or unreachable answers 503 in
    seconds instead of holding requests."""

    connect: float = 5.0  # to open a connection
    pool: float = 5.0  # for a free connection when all are busy
    statement: float = 60.0  # for one statement's answer


# SQLSTATE classes that mean the connection or the server went away, not that the
# statement was wrong: 08 connection exception, 57P01-57P03 admin/crash shutdown and
# "cannot connect now" (starting up).
DISCONNECT_SQLSTATES = ("08", "57P")


def _connect_or_unavailable(
    dialect: Dialect, _record: ConnectionPoolEntry, cargs: Any, cparams: Any
) -> DBAPIConnection:
    """Any failure to connect (refused, timed out, starting up, shutting down) is the
    database being unavailable: raw socket errors would otherwise reach the client as 500."""
    try:
        return dialect.connect(*cargs, **cparams)
    except Exception as error:
        log.warning("cannot connect to the database: %s: %s", type(error).__name__, error)
        raise DatabaseUnavailable() from error


def _on_driver_error(context: ExceptionContext) -> BaseException | None:
    """A statement that ran out of time answers 503; and the driver errors that mean the
    connection is gone are marked so, for SQLAlchemy to invalidate that connection (and
    the pool's others, which are checked again before use)."""
    if isinstance(context.original_exception, TimeoutError):  # asyncpg's command_timeout
        return DatabaseUnavailable("The database did not answer in time; try again shortly")
    if context.sqlalchemy_exception is not None and _connection_lost(context.original_exception):
        context.is_disconnect = True
    return None


def _connection_lost(error: BaseException | None) -> bool:
    from asyncpg.exceptions import InternalClientError  # type: ignore[import-untyped]

    while error is not None:
        sqlstate = getattr(error, "sqlstate", None)
        # asyncpg's protocol is left "in progress" when the server ends the session
        # mid-statement: that connection can never be used again.
        if isinstance(error, ConnectionError | InternalClientError):
            return True
        if isinstance(sqlstate, str) and sqlstate.startswith(DISCONNECT_SQLSTATES):
            return True
        error = error.__cause__
    return False


def is_unavailable(error: BaseException) -> bool:
    """The database dropped the connection or had none free in time: a 503, not a bug."""
    if isinstance(error, exc.DBAPIError):
        return bool(error.connection_invalidated)
    return isinstance(error, exc.TimeoutError)  # the pool's


def _server_options(url: str, timeouts: ServerTimeouts, kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("pool_timeout", timeouts.pool)
    if url.startswith("postgresql+asyncpg"):
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("timeout", timeouts.connect)
        connect_args.setdefault("command_timeout", timeouts.statement)


def make_engine(
    url: str,
    immediate: bool = False,
    timeouts: ServerTimeouts | None = None,
    **kwargs: Any,
) -> AsyncEngine:
    """An async engine; SQLite files get WAL, enforced foreign keys and a busy timeout.

    `immediate` (SQLite): every transaction takes the write lock when it begins, so one
    that reads then writes waits its turn (busy timeout) instead of failing with
    "database is locked" when another process wrote in between. For short-lived
    processes (the CLI); the server keeps concurrent reads.

    `timeouts` (server engines): how long a request may wait on the database."""
    if is_sqlite(url):
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 8)
        kwargs.setdefault("module", one_hop_dbapi())  # one thread hand-off a statement
    else:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        _server_options(url, timeouts or ServerTimeouts(), kwargs)
    engine = create_async_engine(url, pool_pre_ping=not is_sqlite(url), **kwargs)
    if not is_sqlite(url):
        event.listen(engine.sync_engine, "do_connect", _connect_or_unavailable)
        event.listen(engine.sync_engine, "handle_error", _on_driver_error)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if immediate:
            event.listen(engine.sync_engine, "connect", _take_write_lock_at_begin)
            event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _sqlite_sync_engine(url: str) -> Engine:
    engine = create_sync_engine(
        url.replace("sqlite+aiosqlite", "sqlite", 1),
        connect_args={"check_same_thread": False},
        pool_size=4,
        max_overflow=4,
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


class Database:
    """An engine with its session factory; sessions never expire objects on commit."""

    def __init__(
        self,
        url: str,
        session_info: dict[str, Any] | None = None,
        immediate: bool = False,
        timeouts: ServerTimeouts | None = None,
        **engine_kwargs: Any,
    ) -> None:
        self.url = url
        self.engine = make_engine(url, immediate=immediate, timeouts=timeouts, **engine_kwargs)
        self.sessionmaker = async_sessionmaker(
            self.engine, expire_on_commit=False, info=session_info or {}
        )
        self._sync_reader = _sqlite_sync_engine(url) if is_sqlite(url) else None

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._sync_reader is not None:
            self._sync_reader.dispose()

    async def read(self, query: Callable[[Connection], T]) -> T:
        """Run a read-only `query` on a connection of its own.

        On SQLite it runs with the synchronous driver in one hand-off to a thread:
        aiosqlite costs a hand-off per statement and fetch, which is most of a short read
        (a ledger proof, say). Elsewhere it runs on the async engine."""
        if self._sync_reader is not None:
            return await asyncio.to_thread(self._read_sync, query)
        async with self.engine.connect() as connection:
            return await connection.run_sync(query)

    def _read_sync(self, query: Callable[[Connection], T]) -> T:
        assert self._sync_reader is not None
        with self._sync_reader.connect() as connection:
            return query(connection)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Yield a session; commit when the caller finishes, roll back if it raised."""
        async with self.sessionmaker() as session:
            try:
                yield session
                if session.in_transaction():
                    await session.commit()
            except DomainError as error:
                await (session.commit() if error.keep_changes else session.rollback())
                raise
            except BaseException:
                await session.rollback()
                raise
