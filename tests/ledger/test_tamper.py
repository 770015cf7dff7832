"""Changing the log or the data behind the service's back is caught by `ledger verify`."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from confidant.config import Settings
from confidant.ledger import merkle
from confidant.ledger.verify import Report, verify_log
from confidant.runtime import Runtime
from tests.conftest import client_for, make_settings, started_app, upgrade_schema
from tests.helpers import register, run_cli, settings_env


@dataclass
class Ledgered:
    settings: Settings
    database: Path


@pytest.fixture(scope="module")
async def ledgered(tmp_path_factory: pytest.TempPathFactory) -> Ledgered:
    """A fresh SQLite deployment with some history, shut down cleanly."""
    settings = make_settings(tmp_path_factory.mktemp("tamper"))
    await upgrade_schema(settings)
    async for app in started_app(settings):
        async with client_for(app) as http:
            for person in range(3):
                account = await register(http, name=f"Person {person}")
                for day in range(1, 5):
                    await http.post(
                        "/api/diary",
                        headers=account.headers,
                        json={"date": f"2026-09-0{day}", "text": f"day {day}", "mood": day},
                    )
                await http.patch("/api/users/me", headers=account.headers, json={"name": "New"})
                await http.post("/api/auth/refresh", json={"refreshToken": account.refresh})
            await http.delete("/api/users/me", headers=account.headers)
        await app.state.runtime.sequencer.drain()
    return Ledgered(settings, settings.data_dir / "confidant.db")


async def verify(settings: Settings, rows: bool = False) -> Report:
    rt = await Runtime.start(settings)
    try:
        return await verify_log(
            rt.db,
            rt.ledger.signer.verifier_key,
            pseudonyms=rt.ledger.pseudonyms if rows else None,
        )
    finally:
        await rt.close()


@contextmanager
def altered(database: Path) -> Iterator[sqlite3.Connection]:
    """Write straight into the database file, and put it back afterwards."""
    original = database.read_bytes()
    try:
        with closing(sqlite3.connect(database)) as connection:
            yield connection
            connection.commit()
    finally:
        database.write_bytes(original)


def leaf_count(database: Path) -> int:
    with closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM ledger_leaves").fetchone()[0])


async def test_an_untouched_log_verifies_with_the_cli(ledgered: Ledgered) -> None:
    result = await asyncio.to_thread(
        run_cli, settings_env(ledgered.settings), "ledger", "verify", "--rows"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    size = leaf_count(ledgered.database)
    assert result.stdout.startswith(f"OK tree_size={size} root=")
    assert " rows=" in result.stdout


async def test_every_changed_leaf_is_caught(ledgered: Ledgered) -> None:
    chooser = random.Random(5)
    size = leaf_count(ledgered.database)
    for index in chooser.sample(range(size), 12):
        with altered(ledgered.database) as db:
            (data,) = db.execute(
                "SELECT data FROM ledger_leaves WHERE leaf_index = ?", (index,)
            ).fetchone()
            changed = bytearray(data)
            changed[chooser.randrange(len(changed))] ^= 1 << chooser.randrange(8)
            db.execute(
                "UPDATE ledger_leaves SET data = ? WHERE leaf_index = ?", (bytes(changed), index)
            )
            db.commit()
            report = await verify(ledgered.settings)
        assert not report.ok
        assert report.first_bad_leaf == index


async def test_the_cli_names_the_first_divergent_leaf_and_fails(ledgered: Ledgered) -> None:
    with altered(ledgered.database) as db:
        db.execute("UPDATE ledger_leaves SET data = data || x'20' WHERE leaf_index = 7")
        db.commit()
        result = await asyncio.to_thread(
            run_cli, settings_env(ledgered.settings), "ledger", "verify"
        )
    assert result.returncode == 1
    assert "FAILED at leaf index 7" in result.stdout


async def test_a_rewritten_history_with_recomputed_hashes_is_caught(ledgered: Ledgered) -> None:
    """An operator who recomputes leaf hashes, nodes and state still cannot sign."""
    with altered(ledgered.database) as db:
        leaves = [
            bytes(row[0])
            for row in db.execute("SELECT data FROM ledger_leaves ORDER BY leaf_index")
        ]
        forged = next(i for i, data in enumerate(leaves) if b'"op":"insert"' in data)
        leaves[forged] = leaves[forged].replace(b'"op":"insert"', b'"op":"update"')
        frontier = merkle.Frontier()
        db.execute("DELETE FROM ledger_nodes")
        for index, data in enumerate(leaves):
            digest = merkle.leaf_hash(data)
            db.execute(
                "UPDATE ledger_leaves SET data = ?, leaf_hash = ? WHERE leaf_index = ?",
                (data, digest, index),
            )
            for level, position, node in frontier.append(digest):
                db.execute("INSERT INTO ledger_nodes VALUES (?, ?, ?)", (level, position, node))
        db.execute("UPDATE ledger_state SET root_hash = ?", (frontier.root(),))
        db.commit()
        report = await verify(ledgered.settings)
    assert not report.ok
    assert any("root does not match the leaves" in problem for problem in report.problems)


async def test_a_trimmed_log_is_caught(ledgered: Ledgered) -> None:
    size = leaf_count(ledgered.database)
    with altered(ledgered.database) as db:
        db.execute("DELETE FROM ledger_leaves WHERE leaf_index >= ?", (size - 3,))
        db.commit()
        report = await verify(ledgered.settings)
    assert not report.ok
    assert any("larger than the verified log" in problem for problem in report.problems)


async def test_an_altered_tree_node_is_caught(ledgered: Ledgered) -> None:
    with altered(ledgered.database) as db:
        db.execute("UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND position = 1")
        db.commit()
        report = await verify(ledgered.settings)
    assert report.first_bad_leaf == 4


ROW_CHANGES = [
    "UPDATE diary_entries SET mood = 9 WHERE rowid = (SELECT min(rowid) FROM diary_entries)",
    "UPDATE diary_entries SET text_ct = CAST(text_ct || x'00' AS BLOB) "
    "WHERE rowid = (SELECT max(rowid) FROM diary_entries)",
    "UPDATE diary_entries SET text_ct = text_ct || x'00' "
    "WHERE rowid = (SELECT min(rowid) FROM diary_entries)",
    "UPDATE users SET role = 'admin' WHERE rowid = (SELECT min(rowid) FROM users)",
    "UPDATE sessions SET used_at = NULL WHERE used_at IS NOT NULL",
    "DELETE FROM diary_entries WHERE rowid = (SELECT min(rowid) FROM diary_entries)",
    "INSERT INTO diary_entries (id, user_id, entry_date, text_ct, mood, tags, created_at, "
    "updated_at) SELECT 'forged-' || substr(id, 8), user_id, entry_date, text_ct, mood, tags, "
    "created_at, updated_at FROM diary_entries LIMIT 1",
]


@pytest.mark.parametrize("statement", ROW_CHANGES)
async def test_a_changed_business_row_is_caught_by_its_content_hash(
    ledgered: Ledgered, statement: str
) -> None:
    assert (await verify(ledgered.settings, rows=True)).ok
    with altered(ledgered.database) as db:
        assert db.execute(statement).rowcount >= 1
        db.commit()
        report = await verify(ledgered.settings, rows=True)
        log_only = await verify(ledgered.settings)
    assert not report.ok
    assert any("outside the service" in problem for problem in report.problems)
    assert log_only.ok  # the log itself is intact: only the row comparison sees it
