"""The sequencer's batching and checkpoint policy, the signing key, and leaf encoding."""

from __future__ import annotations

import asyncio
import json
import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from confidant.ledger.checkpoints import CheckpointSigner
from confidant.ledger.leaves import api_call_leaf, canonical_json, timestamp
from confidant.ledger.models import LedgerCheckpoint, LedgerOutbox
from confidant.ledger.sequencer import CheckpointPolicy
from confidant.ledger.store import PendingLeaf
from confidant.runtime import Runtime
from tests.conftest import make_settings, upgrade_schema


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp_path, ledger_batch_size=4)
    await upgrade_schema(settings)
    rt = await Runtime.start(settings)
    yield rt
    await rt.close()


async def checkpoint_sizes(rt: Runtime) -> list[int]:
    async with rt.db.engine.connect() as connection:
        return list(
            await connection.scalars(
                select(LedgerCheckpoint.tree_size).order_by(LedgerCheckpoint.tree_size)
            )
        )


def add_leaves(rt: Runtime, count: int) -> None:
    for _ in range(count):
        rt.ledger.calls.add(PendingLeaf(b"{}", None))


async def test_checkpoints_every_n_leaves_or_t_seconds(runtime: Runtime) -> None:
    runtime.sequencer.policy = CheckpointPolicy(every_leaves=5, every_seconds=3600)
    add_leaves(runtime, 3)
    await runtime.sequencer.drain()
    assert await checkpoint_sizes(runtime) == [3]  # the first one, at once
    add_leaves(runtime, 3)
    await runtime.sequencer.drain()
    assert await checkpoint_sizes(runtime) == [3]  # grew 3 < 5, and not an hour yet
    add_leaves(runtime, 2)
    await runtime.sequencer.drain()
    assert await checkpoint_sizes(runtime) == [3, 8]

    runtime.sequencer.policy = CheckpointPolicy(every_leaves=1000, every_seconds=0.05)
    add_leaves(runtime, 1)
    await asyncio.sleep(0.1)
    await runtime.sequencer.drain()
    assert await checkpoint_sizes(runtime) == [3, 8, 9]
    await asyncio.sleep(0.1)
    await runtime.sequencer.drain()
    assert await checkpoint_sizes(runtime) == [3, 8, 9]  # nothing new: no checkpoint


async def test_outbox_is_sequenced_in_batches(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        session.add_all(LedgerOutbox(data=f'{{"n":{n}}}'.encode()) for n in range(10))
    assert await runtime.sequencer.step() == 4  # the batch size
    assert await runtime.sequencer.drain() == 6


def test_the_signing_key_is_generated_private_and_kept(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = CheckpointSigner.from_settings(settings)
    mode = stat.S_IMODE(settings.ledger_signing_key_file.stat().st_mode)
    assert mode == 0o600
    assert CheckpointSigner.from_settings(settings).verifier_key == first.verifier_key
    assert first.origin == "127.0.0.1:8000/ledger"


@given(
    method=st.sampled_from(["GET", "POST", "WS"]),
    route=st.text(max_size=40),
    status=st.integers(100, 599),
    subject=st.none() | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    request_id=st.text(max_size=30),
    duration=st.floats(min_value=0, max_value=1e6, allow_nan=False),
)
def test_api_call_leaves_are_canonical_json(
    method: str, route: str, status: int, subject: str | None, request_id: str, duration: float
) -> None:
    at = datetime(2026, 11, 21, 1, 2, 3, 4567, tzinfo=UTC)
    leaf = api_call_leaf(
        method=method,
        route=route,
        status=status,
        subject=subject,
        request_id=request_id,
        at=at,
        duration_ms=duration,
        body_sha256="0" * 64,
    )
    fields = {
        "v": 1,
        "kind": "api",
        "method": method,
        "route": route,
        "status": status,
        "subject": subject,
        "requestId": request_id,
        "at": timestamp(at),
        "durationMs": round(duration, 3),
        "bodySha256": "0" * 64,
    }
    assert leaf == canonical_json(fields)
    assert json.loads(leaf) == fields
