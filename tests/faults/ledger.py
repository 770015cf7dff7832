"""After a fault: the ledger takes in every leaf and verifies against the rows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from confidant.config import Settings
from tests.helpers import run_cli, settings_env


async def assert_ledger_verifies(settings: Settings, server_log: Path, rows_at_least: int) -> None:
    """`confidant ledger sequence`, then `confidant ledger verify --rows` passes."""
    env = settings_env(settings)
    sequenced = await asyncio.to_thread(run_cli, env, "ledger", "sequence")
    assert sequenced.returncode == 0, sequenced.stderr
    verified = await asyncio.to_thread(run_cli, env, "ledger", "verify", "--rows")
    output = verified.stdout + verified.stderr
    assert verified.returncode == 0, output + server_log.read_text()[-3000:]
    assert verified.stdout.startswith("OK tree_size="), output
    assert "pending=" not in verified.stdout, output
    rows_checked = int(verified.stdout.split(" rows=")[1].split()[0])
    assert rows_checked >= rows_at_least, output
