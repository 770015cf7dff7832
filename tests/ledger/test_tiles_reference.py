"""A tlog client built from the reference code (golang.org/x/mod/sumdb/tlog and note, from
Debian's package) follows a real server's log over HTTP: it opens the signed checkpoint,
authenticates the hash tiles against it, checks every leaf's inclusion from the entry
bundles' bytes and the consistency of an older checkpoint; and it refuses a changed tile,
a changed entry and another key."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from confidant.ledger.checkpoints import CheckpointSigner
from tests.conftest import make_settings, served
from tests.helpers import Account, register, run_cli, settings_env
from tests.ledger import golang

TILECHECK = Path(__file__).parent / "tilecheck"


@pytest.fixture(scope="module")
def tilecheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return golang.build(TILECHECK, tmp_path_factory)


async def signed_note(http: httpx.AsyncClient, at_least: int) -> bytes:
    """The served checkpoint, once it signs at least `at_least` leaves (reading it is not
    an API call: it adds no leaf)."""
    deadline = time.monotonic() + 60
    while True:
        response = await http.get("/ledger/checkpoint")
        if response.status_code == 200:
            size = int(response.text.split("\n")[1])
            if size >= at_least:
                return response.content
        assert time.monotonic() < deadline, response.text
        await asyncio.sleep(0.05)


async def calls(http: httpx.AsyncClient, count: int) -> None:
    for _ in range(count):
        assert (await http.get("/api/assessments")).status_code == 200


def check(
    tilecheck: Path, url: str, key: str, old: Path, token: str, *flags: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tilecheck), "-log", f"{url}/ledger", "-key", key, "-old", str(old), *flags],
        env={**os.environ, "TILECHECK_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def administrator(http: httpx.AsyncClient, env: dict[str, str]) -> Account:
    account = await register(http)
    promoted = await asyncio.to_thread(run_cli, env, "create-admin", "--email", account.email)
    assert promoted.returncode == 0, promoted.stderr
    return account


async def test_the_reference_tlog_client_follows_the_log(tmp_path: Path, tilecheck: Path) -> None:
    settings = make_settings(tmp_path / "data", ledger_sequence_interval_seconds=0.05)
    async for server in served(settings):
        key = server.runtime.ledger.signer.verifier_key
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            operator = await administrator(http, settings_env(settings))
            await calls(http, 100)
            old = tmp_path / "old-checkpoint"
            old.write_bytes(await signed_note(http, 100))
            await calls(http, 300)  # past a full tile, so a level-1 tile is read too
            await signed_note(http, 400)

            run = check(tilecheck, server.url, key, old, operator.access)
            assert run.returncode == 0, run.stderr
            fields = dict(field.split("=") for field in run.stdout.split()[1:])
            assert int(fields["tree"]) >= 400
            assert int(fields["leaves"]) == int(fields["tree"])
            assert 100 <= int(fields["old"]) < int(fields["tree"])

            tampered = check(tilecheck, server.url, key, old, operator.access, "-tamper-tile")
            assert tampered.returncode == 1, tampered.stdout + tampered.stderr
            assert "inconsistent tile" in tampered.stderr
            changed = check(tilecheck, server.url, key, old, operator.access, "-tamper-entry")
            assert changed.returncode == 1, changed.stdout + changed.stderr
            assert "leaf 0" in changed.stderr

            other = CheckpointSigner(settings.resolved_ledger_origin, Ed25519PrivateKey.generate())
            refused = check(tilecheck, server.url, other.verifier_key, old, operator.access)
            assert refused.returncode == 1, refused.stdout + refused.stderr
            anonymous = check(tilecheck, server.url, key, old, "")
            assert anonymous.returncode == 2
            assert "401" in anonymous.stderr
