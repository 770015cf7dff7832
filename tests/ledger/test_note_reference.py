"""The checkpoint the API serves is a signed note that the reference verifier
(golang.org/x/mod/sumdb/note, built here from Debian's package) accepts byte for byte."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from confidant.runtime import Runtime
from tests.helpers import register
from tests.ledger import golang

NOTECHECK = Path(__file__).parent / "notecheck"


@pytest.fixture(scope="module")
def notecheck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return golang.build(NOTECHECK, tmp_path_factory)


def reference_open(
    notecheck: Path, verifier_key: str, note: bytes
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(notecheck), verifier_key], input=note, capture_output=True, timeout=30, check=False
    )


async def test_the_served_checkpoint_verifies_with_the_reference_verifier(
    client: httpx.AsyncClient, runtime: Runtime, notecheck: Path
) -> None:
    await register(client)  # something to sequence
    await runtime.sequencer.drain()
    response = await client.get("/api/ledger/checkpoint")
    assert response.status_code == 200, response.text
    served = response.json()
    note = served["checkpoint"].encode()
    assert note.endswith(b"\n")
    opened = reference_open(notecheck, served["publicKey"], note)
    assert opened.returncode == 0, opened.stderr.decode()
    origin, size, root = opened.stdout.decode().splitlines()
    assert (origin, int(size)) == (served["origin"], served["treeSize"])

    tampered = note.replace(f"\n{size}\n".encode(), f"\n{int(size) + 1}\n".encode(), 1)
    assert reference_open(notecheck, served["publicKey"], tampered).returncode == 1
    assert reference_open(notecheck, served["publicKey"], note.rstrip(b"\n")).returncode == 1
