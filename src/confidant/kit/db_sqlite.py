"""SQLite through aiosqlite in at most one thread hand-off per statement.

SQLAlchemy's aiosqlite adapter hands each cursor call to aiosqlite's thread on its own:
open the cursor, execute, fetch the rows, close, and commit or roll back even when
nothing was written. A hand-off is a queue put, a thread wake-up and a loop wake-up,
about a tenth of a millisecond here, which made a short authenticated read mostly
waiting (issue 22). This adapter runs a statement and its fetch as one call on the same
thread (so a slow statement, or one waiting on the write lock, still never blocks the
event loop), and skips the commit or rollback of a connection that has no transaction
open (pysqlite's implicit transactions begin only at the first write).

A SELECT does not hand off at all at first: it runs on the event loop's own thread with
a budget of a couple of milliseconds (a progress handler interrupts it past that) and no
busy wait (in WAL mode a reader meets a lock only while a connection opens or recovers the
database). One that runs out of budget or meets a lock is run again on aiosqlite's thread;
a SELECT changes nothing, so running it again is safe. Short reads, which are most of
what a request does, so cost no thread hand-off at all.

It relies on aiosqlite's `Connection._execute` (queue a call on its thread) and
`_conn`, as SQLAlchemy's own adapter does for its isolation level; the connection is
opened with check_same_thread off, and the execute mutex keeps the two threads from ever
using it at once.
"""

from __future__ import annotations

import collections
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_


class _Outcome:
    """What a statement left behind, read on aiosqlite's thread."""

    __slots__ = ("description", "lastrowid", "rowcount", "rows")

    def __init__(self, cursor: sqlite3.Cursor, fetch: bool) -> None:
        self.description = cursor.description
        self.rows = cursor.fetchall() if fetch and cursor.description else []
        self.rowcount = cursor.rowcount
        self.lastrowid = cursor.lastrowid


BUSY_TIMEOUT_MS = 10_000
# How long a SELECT may hold the event loop before it is moved to aiosqlite's thread, and
# how many virtual-machine steps pass between looks at the clock.
INLINE_BUDGET_SECONDS = 0.002
INLINE_CHECK_EVERY = 500
_RETRY_ON_THREAD = (sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


def _is_read(operation: str) -> bool:
    return operation.lstrip()[:6].upper() == "SELECT"


def _run_inline(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome | None:
    """The SELECT's outcome, run here within the budget; None when it has to go to the
    thread (out of budget, or a lock met)."""
    connection.execute("PRAGMA busy_timeout=0")
    deadline = time.perf_counter() + INLINE_BUDGET_SECONDS
    connection.set_progress_handler(lambda: time.perf_counter() > deadline, INLINE_CHECK_EVERY)
    try:
        return _run(connection, operation, parameters, many=False)
    except sqlite3.OperationalError as error:
        # the primary code: an extended one (SQLITE_BUSY_RECOVERY, ...) carries it in its low byte
        if (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _RETRY_ON_THREAD:
            return None
        raise
    finally:
        connection.set_progress_handler(None, 0)  # before anything else runs on it
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        return _Outcome(cursor, fetch=not many)
    finally:
        cursor.close()


class OneHopCursor:
    """A buffered DBAPI cursor whose `execute` is one call on aiosqlite's thread."""

    server_side = False

    def __init__(self, adapt_connection: OneHopConnection) -> None:
        self._adapt_connection = adapt_connection
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._run(operation, () if parameters is None else parameters, many=False)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        adapt = self._adapt_connection
        try:
            outcome = await_(adapt.run(operation, parameters, many))
        except Exception as error:
            adapt._handle_exception(error)
        self.description = outcome.description
        self.rowcount = outcome.rowcount
        self.lastrowid = outcome.lastrowid
        self._rows = collections.deque(outcome.rows)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the rows are already here."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> Sequence[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # duck-typed, like the adapter's

    async def run(self, operation: str, parameters: Any, many: bool) -> _Outcome:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._execute_mutex:
            if not many and _is_read(operation):
                outcome = _run_inline(driver._conn, operation, parameters)
                if outcome is not None:
                    return outcome
            call = driver._execute(_run, driver._conn, operation, parameters, many)  # type: ignore[no-untyped-call]
            return await call  # type: ignore[no-any-return]

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        # sqlite3_get_autocommit: a flag read, safe while aiosqlite's thread is idle,
        # which it is here (statements are awaited under the execute mutex).
        driver = self._connection._connection
        return driver is not None and driver.in_transaction


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        kw["check_same_thread"] = False  # SELECTs run on the loop's thread (see above)
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDbapi:
    """The DBAPI module for `create_async_engine(..., module=...)` on SQLite."""
    return OneHopDbapi(aiosqlite, sqlite3)
