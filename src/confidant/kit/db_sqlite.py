"""SQLite through aiosqlite in one thread hand-off per statement.

SQLAlchemy's aiosqlite adapter hands each cursor call to aiosqlite's thread on its own:
open the cursor, execute, fetch the rows, close, and commit or roll back even when
nothing was written. A hand-off is a queue put, a thread wake-up and a loop wake-up,
about a tenth of a millisecond here, which made a short authenticated read mostly
waiting (issue 22). This adapter runs a statement and its fetch as one call on the same
thread (so a slow statement, or one waiting on the write lock, still never blocks the
event loop), and skips the commit or rollback of a connection that has no transaction
open (pysqlite's implicit transactions begin only at the first write).

It relies on aiosqlite's `Connection._execute` (queue a call on its thread) and
`_conn`, as SQLAlchemy's own adapter does for its isolation level.
"""

from __future__ import annotations

import collections
import sqlite3
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
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDbapi:
    """The DBAPI module for `create_async_engine(..., module=...)` on SQLite."""
    return OneHopDbapi(aiosqlite, sqlite3)
