"""The sequencer: gives pending leaves their place in the log, in batches, and signs
checkpoints every N leaves or T seconds.

Row-write leaves wait in the outbox table (written with the write itself); API-call
leaves wait in memory (`ApiCallBuffer`) for at most one sequencing interval. Several
processes may run a sequencer: they take turns on the ledger's state row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncConnection

from confidant.kit.db import Database, utcnow
from confidant.ledger import merkle, store
from confidant.ledger.checkpoints import Checkpoint, CheckpointSigner
from confidant.ledger.models import LedgerCheckpoint
from confidant.ledger.store import PendingLeaf, TreeState

log = logging.getLogger("confidant.ledger")

Anchor = Callable[[Checkpoint], Awaitable[tuple[int, str] | None]]


class ApiCallBuffer:
    """API-call leaves in memory until the next sequencing step."""

    def __init__(self, limit: int = 500_000) -> None:
        self.limit = limit
        self.dropped = 0
        self._leaves: list[PendingLeaf] = []

    def add(self, leaf: PendingLeaf) -> None:
        if len(self._leaves) >= self.limit:
            self.dropped += 1  # the database has been unreachable for a long while
            return
        self._leaves.append(leaf)

    def take(self) -> list[PendingLeaf]:
        leaves, self._leaves = self._leaves, []
        return leaves

    def put_back(self, leaves: list[PendingLeaf]) -> None:
        self._leaves[:0] = leaves

    def __len__(self) -> int:
        return len(self._leaves)


@dataclass(frozen=True)
class CheckpointPolicy:
    every_leaves: int
    every_seconds: float


class Sequencer:
    def __init__(
        self,
        db: Database,
        signer: CheckpointSigner,
        calls: ApiCallBuffer,
        policy: CheckpointPolicy,
        batch_size: int,
        anchor: Anchor | None = None,
    ) -> None:
        self.db = db
        self.signer = signer
        self.calls = calls
        self.policy = policy
        self.batch_size = batch_size
        self.anchor = anchor
        self._frontier: merkle.Frontier | None = None
        self._next_time_check = 0.0
        self._turn = asyncio.Lock()  # one step at a time in this process
        self._latest: store.LedgerCheckpointRow | None = None

    async def step(self) -> int:
        """Sequence one batch; returns how many leaves it added."""
        async with self._turn:
            return await self._step()

    async def _step(self) -> int:
        calls = self.calls.take()
        if not calls and not await self._work_waiting():
            return 0
        try:
            async with self.db.engine.begin() as connection:
                state = await store.claim_state(connection)
                outbox = await store.pending_outbox(connection, self.batch_size)
                leaves = calls + [leaf for _, leaf in outbox]
                if leaves:
                    frontier = await self._frontier_at(connection, state)
                    state = await store.append(
                        connection, frontier, leaves, [outbox_id for outbox_id, _ in outbox]
                    )
                checkpoint = await self._checkpoint_if_due(connection, state)
        except BaseException:
            self._frontier = self._latest = None
            self.calls.put_back(calls)
            raise
        if checkpoint is not None and self.anchor is not None:
            await self._anchor(checkpoint)
        return len(leaves)

    async def _work_waiting(self) -> bool:
        if time.monotonic() >= self._next_time_check:
            self._next_time_check = time.monotonic() + self.policy.every_seconds
            return True  # a checkpoint may be due by time
        async with self.db.engine.connect() as connection:
            return await store.has_pending_outbox(connection)

    async def _frontier_at(self, connection: AsyncConnection, state: TreeState) -> merkle.Frontier:
        cached = self._frontier
        if cached is None or cached.size != state.size or cached.root() != state.root:
            cached = await connection.run_sync(store.load_frontier, state.size)
            self._frontier = cached
        return cached

    async def _checkpoint_if_due(
        self, connection: AsyncConnection, state: TreeState
    ) -> Checkpoint | None:
        # The remembered latest checkpoint only saves a query when none can be due: any
        # checkpoint made since (by another process) is newer, so it is never "less due".
        if self._latest is not None and not self._due(self._latest, state):
            return None
        self._latest = await connection.run_sync(store.latest_checkpoint)
        if self._latest is not None and not self._due(self._latest, state):
            return None
        checkpoint = Checkpoint(self.signer.origin, state.size, state.root)
        row = store.LedgerCheckpointRow(
            state.size, state.root, self.signer.sign(checkpoint), utcnow(), None, None
        )
        await connection.execute(
            insert(LedgerCheckpoint).values(
                tree_size=row.tree_size,
                root_hash=row.root_hash,
                note=row.note,
                created_at=row.created_at,
            )
        )
        self._latest = row
        return checkpoint

    def _due(self, latest: store.LedgerCheckpointRow, state: TreeState) -> bool:
        grown = state.size - latest.tree_size
        age = (utcnow() - latest.created_at).total_seconds()
        return grown > 0 and (grown >= self.policy.every_leaves or age >= self.policy.every_seconds)

    async def _anchor(self, checkpoint: Checkpoint) -> None:
        assert self.anchor is not None
        try:
            anchored = await self.anchor(checkpoint)
        except Exception:
            log.exception(
                "anchoring checkpoint %d failed; the next one will try", checkpoint.tree_size
            )
            return
        if anchored is None:
            return
        chain_id, tx_hash = anchored
        async with self.db.engine.begin() as connection:
            await connection.execute(
                update(LedgerCheckpoint)
                .where(LedgerCheckpoint.tree_size == checkpoint.tree_size)
                .values(anchor_chain_id=chain_id, anchor_tx=tx_hash)
            )

    async def drain(self) -> int:
        """Sequence until nothing is waiting (tests, shutdown, the CLI)."""
        total = 0
        while True:
            self._next_time_check = 0.0
            added = await self.step()
            total += added
            if added == 0:
                return total

    async def run(self, interval: float) -> None:
        while True:
            try:
                added = await self.step()
            except Exception:
                log.exception("ledger sequencing failed; will retry")
                added = 0
            if added < self.batch_size:
                await asyncio.sleep(interval)
