"""A delete's cascade and a child row committed meanwhile: PostgreSQL's row locks,
SQLite's write lock."""

from __future__ import annotations

import asyncio
import sqlite3
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Connection, Table

from confidant.auth.models import User
from confidant.config import Settings
from confidant.ledger import recorder
from confidant.ledger.verify import verify_log
from confidant.runtime import Runtime
from tests.helpers import jobs_settled, register


async def insert_avatar_elsewhere(settings: Settings, user_id: str) -> tuple[int, str]:
    """Another client's transaction: an avatar for `user_id`, waiting at most 0.5 s for
    a lock. Returns psql's exit status and what it said."""
    url = urlsplit(str(settings.database_url).replace("+asyncpg", ""))
    sql = (
        "SET lock_timeout = '500ms'; INSERT INTO avatars (user_id, content_type, data, "
        f"updated_at) VALUES ('{user_id}', 'image/png', '\\x00', now())"
    )
    process = await asyncio.create_subprocess_exec(
        "psql", "-h", url.hostname or "127.0.0.1", "-U", url.username or "postgres",
        "-d", url.path.lstrip("/"), "-v", "ON_ERROR_STOP=1", "-c", sql,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, said = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode or 0, said.decode()


# PostgreSQL only: its row locks are what is tested (SQLite ignores FOR UPDATE).
@pytest.mark.parametrize("settings", ["postgres"], indirect=True)
async def test_a_child_committed_while_a_delete_reads_its_dependents_waits(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    account = await register(client)
    table = User.__table__
    async with runtime.db.engine.connect() as connection, connection.begin():
        await connection.run_sync(
            lambda sync: recorder._dependents(sync, table, [(account.user_id,)])
        )
        status, said = await insert_avatar_elsewhere(settings, account.user_id)
        await connection.rollback()
    # Without the lock the avatar is committed now, and the delete that follows would
    # take it with the cascade, unrecorded.
    assert status != 0, said
    assert "lock timeout" in said


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_sqlite_holds_the_write_lock_from_reading_dependents_to_the_delete(
    client: httpx.AsyncClient,
    runtime: Runtime,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = await register(client)
    database = runtime.db.url.split("///", 1)[1]
    attempts: list[str] = []
    read_dependents = recorder._dependents

    def dependents_then_another_writer(
        connection: Connection, table: Table, keys: list[tuple[object, ...]]
    ) -> recorder._Dependents:
        found = read_dependents(connection, table, keys)
        if table.name == "users":
            other = sqlite3.connect(database, timeout=0.5)
            try:
                other.execute(
                    "INSERT INTO avatars (user_id, content_type, data, updated_at) "
                    "VALUES (?, 'image/png', x'00', '2026-12-01 00:00:00')",
                    (account.user_id,),
                )
                other.commit()
                attempts.append("committed")
            except sqlite3.OperationalError as error:
                attempts.append(str(error))
            finally:
                other.close()
        return found

    monkeypatch.setattr(recorder, "_dependents", dependents_then_another_writer)
    assert (await client.delete("/api/users/me", headers=account.headers)).status_code == 204
    # Had the avatar been committed, the cascade would have taken it unrecorded.
    assert attempts == ["database is locked"]
    await jobs_settled(runtime.db)
    await runtime.sequencer.drain()
    report = await verify_log(
        runtime.db, runtime.ledger.signer.verifier_key, pseudonyms=runtime.ledger.pseudonyms
    )
    assert report.ok, report.problems[:10]
