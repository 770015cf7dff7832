"""SQLite through aiosqlite in at most one thread hand-off per statement, none for a short
SELECT (kit/db_sqlite.py): the hand-offs it saves, and that it still behaves as a DBAPI
cursor and never blocks the event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from confidant.kit import db_sqlite
from confidant.kit.db import Database
from confidant.kit.db_sqlite import BUSY_TIMEOUT_MS, _run_inline

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("text", String, nullable=False, unique=True),
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call queued on an aiosqlite thread, by name."""
    queued: list[str] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        queued.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    return queued


async def test_a_short_read_runs_on_the_loop_thread_with_no_hand_off(
    db: Database, hand_offs: list[str]
) -> None:
    async with db.transaction() as session:  # a connection in the pool first
        await session.execute(select(1))
        raw = await (await session.connection()).get_raw_connection()
        raw.driver_connection._conn.create_function("thread_id", 0, threading.get_ident)  # type: ignore[union-attr]
    hand_offs.clear()
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(notes)) == 0
        assert await session.scalar(select(func.thread_id())) == threading.get_ident()
    # SQLAlchemy's own adapter: cursor, execute, fetchall, close, commit, and the
    # pool's rollback on return, each a hand-off; here none
    assert hand_offs == []


async def test_a_long_read_moves_to_the_thread_and_the_loop_keeps_running(
    db: Database, hand_offs: list[str]
) -> None:
    async def count() -> int:
        async with db.transaction() as session:
            return int((await session.execute(text(counting_to(3_000_000)))).scalar_one())

    counted = asyncio.create_task(count())
    gaps = await _loop_gaps_until(counted)
    assert counted.result() == 3_000_000
    assert "_run" in hand_offs  # run again on the thread
    assert max(gaps) < 0.2, f"the loop stalled {max(gaps):.3f} s"


def test_a_read_that_meets_a_lock_gives_up_on_the_loop_thread_at_once(tmp_path: Path) -> None:
    """A SELECT run on the loop's thread never waits for a lock (the busy timeout is off
    for it): it is handed back, to wait on aiosqlite's thread instead. (In WAL mode a
    reader meets a lock only while a connection opens or recovers the database, so the
    lock here is a rollback-journal database's exclusive one.)"""
    path = tmp_path / "journal.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    reader = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    try:
        started = time.perf_counter()
        assert _run_inline(reader, "SELECT count(*) FROM t", ()) is None
        assert time.perf_counter() - started < 1
        holder.execute("COMMIT")
        outcome = _run_inline(reader, "SELECT count(*) FROM t", ())
        assert outcome is not None
        assert outcome.rows == [(0,)]
        # and the connection's busy timeout is back for the statements after it
        assert reader.execute("PRAGMA busy_timeout").fetchone() == (BUSY_TIMEOUT_MS,)
    finally:
        reader.close()
        holder.close()


def test_a_read_that_ends_past_its_budget_leaves_nothing_interrupted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no budget at all, reads of every length either run or are handed back; none
    fails, and the statements after them (the busy timeout's restoring among them) are
    never interrupted by the budget of the read before."""
    monkeypatch.setattr(db_sqlite, "INLINE_BUDGET_SECONDS", 0)
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    try:
        for length in range(1, 200):
            outcome = _run_inline(connection, counting_to(length), ())
            assert outcome is None or outcome.rows == [(length,)]
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        connection.close()


def counting_to(last: int) -> str:
    """A SELECT that counts from 1 to `last`: its run time grows with `last`."""
    return (
        "SELECT (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n"
        f" WHERE x < {last}) SELECT count(*) FROM n)"
    )


async def _loop_gaps_until(task: asyncio.Task[Any], bound: float = 30) -> list[float]:
    """The times between the loop's turns while `task` runs."""
    gaps: list[float] = []
    loop = asyncio.get_running_loop()
    last = started = loop.time()
    while not task.done() and last - started < bound:
        await asyncio.sleep(0.005)
        now = loop.time()
        gaps.append(now - last)
        last = now
    await task
    return gaps or [0.0]


async def test_writes_commit_and_roll_back_for_real(db: Database, hand_offs: list[str]) -> None:
    async with db.transaction() as session:
        await session.execute(insert(notes).values(text="kept"))
    assert "commit" in hand_offs

    async def fail_after_writing() -> None:
        async with db.transaction() as session:
            await session.execute(insert(notes).values(text="undone"))
            raise RuntimeError("the request failed")

    with pytest.raises(RuntimeError):
        await fail_after_writing()
    assert "rollback" in hand_offs
    async with db.transaction() as session:
        assert list(await session.scalars(select(notes.c.text))) == ["kept"]


async def test_it_answers_as_a_dbapi_cursor(db: Database) -> None:
    async with db.transaction() as session:
        inserted = await session.execute(insert(notes).values(text="one"))
        assert inserted.inserted_primary_key == (1,)
        await session.execute(insert(notes), [{"text": "two"}, {"text": "three"}])
        returned = await session.execute(
            insert(notes).values(text="four").returning(notes.c.id, notes.c.text)
        )
        assert returned.one() == (4, "four")
        changed = await session.execute(
            update(notes).where(notes.c.id > 2).values(text=notes.c.text + "!")
        )
        assert changed.rowcount == 2  # type: ignore[attr-defined]
    async with db.transaction() as session:
        rows = (await session.execute(select(notes.c.id).order_by(notes.c.id))).all()
        assert [row.id for row in rows] == [1, 2, 3, 4]
        result = await session.execute(select(notes.c.text).order_by(notes.c.id))
        assert result.fetchmany(2) == [("one",), ("two",)]
        assert result.fetchall() == [("three!",), ("four!",)]
        streamed = await session.stream(select(notes.c.id))  # a server-side cursor
        assert [row.id async for row in streamed] == [1, 2, 3, 4]


async def test_an_integrity_error_is_sqlalchemys_and_leaves_the_connection_usable(
    db: Database,
) -> None:
    async with db.transaction() as session:
        await session.execute(insert(notes).values(text="same"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(insert(notes).values(text="same"))
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(notes)) == 1


async def test_a_statement_waiting_for_the_write_lock_never_blocks_the_loop(
    db: Database, tmp_path: Path
) -> None:
    """Another process holds the write lock for a while: the write waits (busy timeout)
    on aiosqlite's thread while the event loop keeps running."""
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        other = sqlite3.connect(tmp_path / "notes.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(10)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    locked.wait(10)

    async def write() -> None:
        async with db.transaction() as session:
            await session.execute(insert(notes).values(text="after the lock"))

    writing = asyncio.create_task(write())
    ticks = 0
    for _ in range(20):  # 0.2 s of loop time while the write waits
        await asyncio.sleep(0.01)
        ticks += 1
    assert not writing.done()
    assert ticks == 20
    release.set()
    await asyncio.wait_for(writing, 15)
    holder.join(10)
    async with db.transaction() as session:
        assert await session.scalar(select(notes.c.text)) == "after the lock"


async def test_many_sessions_at_once(db: Database) -> None:
    async def one(number: int) -> int:
        async with db.transaction() as session:
            await session.execute(insert(notes).values(text=f"note {number}"))
        async with db.transaction() as session:
            return int(await session.scalar(select(func.count()).select_from(notes)) or 0)

    counts = await asyncio.gather(*(one(number) for number in range(40)))
    assert max(counts) == 40
