"""`confidant backup` of a service under writes, `confidant restore` into fresh
storage: every write acknowledged before the backup began is back, the ledger verifies
row by row, and an account deleted after the backup stays deleted."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from confidant.config import Settings
from tests.conftest import make_settings, pg_admin, pg_url, upgrade_schema
from tests.helpers import free_port, register, run_cli, serve, settings_env, wait_ready

WRITERS = 4


@pytest.fixture(params=["sqlite", "postgres"])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[Settings, Settings]]:
    """Settings of the service backed up, and of the fresh place it is restored to."""
    if request.param == "sqlite":
        yield (
            make_settings(tmp_path / "live", jobs_worker="embedded"),
            make_settings(tmp_path / "restored", jobs_worker="embedded"),
        )
        return
    names = [f"confidant_backup_{uuid.uuid4().hex[:8]}_{n}" for n in range(4)]
    for name in names:
        await pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_settings(
                tmp_path / "live", jobs_worker="embedded",
                database_url=pg_url(names[0]), keystore_url=pg_url(names[1]),
            ),
            make_settings(
                tmp_path / "restored", jobs_worker="embedded",
                database_url=pg_url(names[2]), keystore_url=pg_url(names[3]),
            ),
        )  # fmt: skip
    finally:
        for name in names:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def write_during(
    http: httpx.AsyncClient, headers: dict[str, str], backup: asyncio.Future[object]
) -> tuple[dict[str, str], dict[str, str]]:
    """Diary writes until the backup is done: those acknowledged before it began, and
    all of them (id -> text)."""
    before: dict[str, str] = {}
    everything: dict[str, str] = {}
    started = asyncio.Event()

    async def writer(number: int) -> None:
        count = 0
        while not backup.done():
            text = f"writer {number} entry {count}"
            count += 1
            response = await http.post(
                "/api/diary", headers=headers, json={"date": "2026-09-01", "text": text}
            )
            assert response.status_code == 201, response.text
            everything[response.json()["id"]] = text
            if not started.is_set():
                before[response.json()["id"]] = text
            await asyncio.sleep(0)

    async def mark_start() -> None:
        await asyncio.sleep(1.0)  # writes first, then the backup among them
        started.set()

    await asyncio.gather(mark_start(), *(writer(n) for n in range(WRITERS)))
    return before, everything


@pytest.mark.slow  # two servers, four CLI runs and a re-embedding: about 50 s
async def test_backup_under_writes_restores_every_acknowledged_write_and_no_deleted_account(
    stores: tuple[Settings, Settings], tmp_path: Path
) -> None:
    live, fresh = stores
    await upgrade_schema(live)
    live_env, fresh_env = settings_env(live), settings_env(fresh)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    backup_dir = tmp_path / "backup"

    server = serve(live, port, tmp_path / "live.log")
    try:
        await wait_ready(url, server)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            alice, bob = await register(http), await register(http)
            said = await http.post(
                "/api/diary", headers=bob.headers, json={"date": "2026-09-01", "text": "bob's"}
            )
            assert said.status_code == 201

            loop = asyncio.get_running_loop()

            async def take_backup() -> subprocess.CompletedProcess[str]:
                await asyncio.sleep(1.5)
                return await asyncio.to_thread(
                    run_cli, live_env, "backup", str(backup_dir), timeout=300
                )

            backup = loop.create_task(take_backup())
            before, everything = await write_during(http, alice.headers, backup)
            taken = backup.result()
            assert taken.returncode == 0, taken.stderr
            assert len(before) >= WRITERS
            # Deleted after the backup was taken: the backup still holds the account.
            assert (await http.delete("/api/users/me", headers=bob.headers)).status_code == 204
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    keys = json.loads((backup_dir / "keys" / "manifest.json").read_text())
    data = json.loads((backup_dir / "data" / "manifest.json").read_text())
    assert (keys["kind"], data["kind"]) == ("keys", "data")
    assert not any(name.startswith("keystore") for name in data["files"])  # kept apart
    shredded = await asyncio.to_thread(run_cli, live_env, "keys", "shredded")
    assert f"user:{bob.user_id}" in shredded.stdout.split()
    deleted_list = tmp_path / "deleted-accounts.txt"
    deleted_list.write_text(shredded.stdout)

    restored = await asyncio.to_thread(
        run_cli, fresh_env, "restore", str(backup_dir),
        "--deleted-accounts", str(deleted_list), timeout=600,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stderr
    assert "1 accounts the backup still held were deleted again" in restored.stdout
    embedded = re.search(r"(\d+) chunks re-embedded", restored.stdout)
    assert embedded, restored.stdout
    assert int(embedded[1]) >= len(before)  # the vectors, not in the backup, are rebuilt
    verified = await asyncio.to_thread(run_cli, fresh_env, "ledger", "verify", "--rows")
    assert verified.returncode == 0, verified.stdout + verified.stderr

    server = serve(fresh, port, tmp_path / "restored.log")
    try:
        await wait_ready(url, server)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            signed_in = await http.post(
                "/api/auth/login", json={"email": alice.email, "password": alice.password}
            )
            assert signed_in.status_code == 200, signed_in.text
            headers = {"Authorization": f"Bearer {signed_in.json()['accessToken']}"}
            for entry_id, text in before.items():
                entry = await http.get(f"/api/diary/{entry_id}", headers=headers)
                assert entry.status_code == 200, entry.text
                assert entry.json()["text"] == text
            gone = await http.post(
                "/api/auth/login", json={"email": bob.email, "password": bob.password}
            )
            assert gone.status_code == 401
            assert (await http.get("/api/users/me", headers=bob.headers)).status_code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert len(everything) >= len(before)


async def test_restore_refuses_a_changed_backup_and_an_occupied_target(
    tmp_path: Path,
) -> None:
    live = make_settings(tmp_path / "live")
    await upgrade_schema(live)
    env = settings_env(live)
    taken = await asyncio.to_thread(run_cli, env, "backup", str(tmp_path / "b"))
    assert taken.returncode == 0, taken.stderr
    again = await asyncio.to_thread(run_cli, env, "backup", str(tmp_path / "b"))
    assert again.returncode == 1
    assert "not empty" in again.stderr

    occupied = await asyncio.to_thread(run_cli, env, "restore", str(tmp_path / "b"))
    assert occupied.returncode == 1
    assert "--replace" in occupied.stderr

    fresh_env = settings_env(make_settings(tmp_path / "fresh"))
    database = tmp_path / "b" / "data" / "confidant.db"
    database.write_bytes(database.read_bytes() + b"tampered")
    changed = await asyncio.to_thread(run_cli, fresh_env, "restore", str(tmp_path / "b"))
    assert changed.returncode == 1
    assert "changed since the backup" in changed.stderr
    assert not (tmp_path / "fresh" / "confidant.db").exists()
    nothing = await asyncio.to_thread(run_cli, fresh_env, "restore", str(tmp_path / "nowhere"))
    assert nothing.returncode == 1
    assert "no readable backup manifest" in nothing.stderr
