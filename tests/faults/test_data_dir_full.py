"""DATA_DIR full, on the embedded default (SQLite, its job broker and LanceDB all in
DATA_DIR): writes fail with 507 `storage_full` in the one error shape, never a 500;
reads keep working; nothing stored before is damaged; once space is free again writes
go through, and the ledger verifies."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from confidant.kit.db import Database
from tests.conftest import make_settings
from tests.faults.conftest import Served, fill, serving
from tests.faults.ledger import assert_ledger_verifies
from tests.helpers import Account, assert_error, jobs_settled, register

pytestmark = pytest.mark.slow

ENTRY_TEXT = "Walked along the canal at dawn and watched the herons fish. " * 30  # ~1.8 KB
MOST_WRITES_WHILE_FULL = 400  # SQLite may first reuse its write-ahead log's free pages


@pytest.fixture
async def served_on_small_disk(small_data_dir: Path, tmp_path: Path) -> AsyncIterator[Served]:
    settings = make_settings(small_data_dir / "data", jobs_worker="embedded")
    async for served in serving(settings, tmp_path / "server.log"):
        yield served


async def write_entry(http: httpx.AsyncClient, account: Account, day: int) -> httpx.Response:
    entry = {"date": f"2026-07-{1 + day % 28:02d}", "text": f"{day}: {ENTRY_TEXT}", "mood": 4}
    return await http.post("/api/diary", headers=account.headers, json=entry)


async def test_a_full_data_dir_refuses_writes_cleanly_and_damages_nothing(
    served_on_small_disk: Served, small_data_dir: Path
) -> None:
    served = served_on_small_disk
    db = Database(served.settings.resolved_database_url)
    try:
        async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
            account = await register(http)
            stored = [(await write_entry(http, account, day)).json()["id"] for day in range(5)]
            await jobs_settled(db)  # their vectors are in LanceDB, in DATA_DIR
            found = await http.get("/api/search", headers=account.headers, params={"q": "herons"})
            assert found.status_code == 200, found.text
            assert found.json()["results"], "the entries were not indexed"

            filler = fill(small_data_dir)
            refused = None
            for day in range(5, 5 + MOST_WRITES_WHILE_FULL):
                answer = await write_entry(http, account, day)
                if answer.status_code == 201:
                    stored.append(answer.json()["id"])  # WAL slack: it is stored all the same
                    continue
                refused = assert_error(answer, 507, "storage_full")
                break
            assert refused is not None, "every write went through on a full disk"
            assert "full" in refused["message"]
            assert_error(
                await http.post("/api/mood", headers=account.headers, json={"score": 3}),
                507,
                "storage_full",
            )
            listed = await http.get("/api/diary", headers=account.headers, params={"limit": 3})
            assert listed.status_code == 200, listed.text  # reads keep working

            filler.unlink()
            started = time.monotonic()
            again = await write_entry(http, account, 999)
            assert again.status_code == 201, again.text
            stored.append(again.json()["id"])
            recovered = time.monotonic() - started
            for entry_id in stored:
                read = await http.get(f"/api/diary/{entry_id}", headers=account.headers)
                assert read.status_code == 200, read.text
                assert read.json()["text"].endswith(ENTRY_TEXT.strip())
            found = await http.get("/api/search", headers=account.headers, params={"q": "herons"})
            assert found.status_code == 200, found.text
            assert found.json()["results"]
    finally:
        await db.dispose()
    print(
        f"\nDATA_DIR full: {len(stored) - 6} writes fitted in before the first 507; the "
        f"first write after freeing space took {recovered:.2f} s"
    )
    served.stop()
    await assert_ledger_verifies(served.settings, served.log, rows_at_least=len(stored))
