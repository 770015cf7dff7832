"""Nothing acknowledged is lost: SIGKILL the server under write load, restart it, and
every acknowledged write has its leaf and the log verifies."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import make_settings, upgrade_schema
from tests.helpers import free_port, register, run_cli, serve, settings_env, wait_ready

WRITERS = 12
ACKS_BEFORE_KILL = 150


async def write_until_killed(
    url: str, headers: dict[str, str], process: subprocess.Popen[bytes]
) -> list[str]:
    acknowledged: list[str] = []

    async def writer(http: httpx.AsyncClient, number: int) -> None:
        while True:
            try:
                response = await http.post(
                    "/api/diary",
                    headers=headers,
                    json={"date": "2026-08-01", "text": f"writer {number}", "mood": 5},
                )
            except httpx.TransportError:
                return  # the server is gone
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
            if len(acknowledged) >= ACKS_BEFORE_KILL and process.poll() is None:
                process.send_signal(signal.SIGKILL)

    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        await asyncio.gather(*(writer(http, number) for number in range(WRITERS)))
    process.wait(timeout=30)
    return acknowledged


@pytest.mark.slow
async def test_sigkill_under_write_load_loses_no_acknowledged_write(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data")
    await upgrade_schema(settings)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"

    first = serve(settings, port, log)
    try:
        await wait_ready(url, first)
        async with httpx.AsyncClient(base_url=url) as http:
            account = await register(http)
        acknowledged = await write_until_killed(url, account.headers, first)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert len(acknowledged) >= ACKS_BEFORE_KILL

    second = serve(settings, port, log)
    try:
        await wait_ready(url, second)
        async with httpx.AsyncClient(base_url=url) as http:
            for entry_id in acknowledged:
                response = await http.get(f"/api/diary/{entry_id}", headers=account.headers)
                assert response.status_code == 200, response.text
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=60)

    env = settings_env(settings)
    sequenced = await asyncio.to_thread(run_cli, env, "ledger", "sequence")
    assert sequenced.returncode == 0, sequenced.stderr
    verified = await asyncio.to_thread(run_cli, env, "ledger", "verify", "--rows")
    assert verified.returncode == 0, verified.stdout + verified.stderr + log.read_text()[-3000:]
    assert verified.stdout.startswith("OK tree_size=")
    assert "pending=" not in verified.stdout
    rows_checked = int(verified.stdout.split(" rows=")[1].split()[0])
    assert rows_checked >= len(acknowledged)
