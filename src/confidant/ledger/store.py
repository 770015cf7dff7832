"""The stored tree: its state row, leaves, nodes and checkpoints, read and extended."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from confidant.db import utcnow
from confidant.ledger import merkle
from confidant.ledger.models import (
    LedgerCheckpoint,
    LedgerLeaf,
    LedgerNode,
    LedgerOutbox,
    LedgerState,
)

STATE_ID = 1
_IN_BATCH = 1000


@dataclass(frozen=True)
class TreeState:
    size: int
    root: bytes


@dataclass(frozen=True)
class PendingLeaf:
    data: bytes
    subject: str | None


async def claim_state(connection: AsyncConnection) -> TreeState:
    """Take the sequencer's turn (a write to the state row comes first, so on SQLite the
    write lock is taken before anything is read) and return the tree's state."""
    await connection.execute(
        update(LedgerState).where(LedgerState.id == STATE_ID).values(updated_at=utcnow())
    )
    return await read_state(connection)


async def read_state(connection: AsyncConnection) -> TreeState:
    row = (
        await connection.execute(
            select(LedgerState.tree_size, LedgerState.root_hash).where(LedgerState.id == STATE_ID)
        )
    ).one()
    return TreeState(int(row.tree_size), bytes(row.root_hash))


async def read_nodes(
    connection: AsyncConnection, keys: Iterable[merkle.NodeKey]
) -> dict[merkle.NodeKey, bytes]:
    """The hashes of perfect subtrees: leaf hashes for level 0, stored nodes above."""
    wanted = list(keys)
    leaves = [position for level, position in wanted if level == 0]
    inner = [(level, position) for level, position in wanted if level > 0]
    found: dict[merkle.NodeKey, bytes] = {}
    for start in range(0, len(leaves), _IN_BATCH):
        rows = await connection.execute(
            select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash).where(
                LedgerLeaf.leaf_index.in_(leaves[start : start + _IN_BATCH])
            )
        )
        found.update({(0, int(index)): bytes(digest) for index, digest in rows})
    for start in range(0, len(inner), _IN_BATCH):
        rows = await connection.execute(
            select(LedgerNode.level, LedgerNode.position, LedgerNode.hash).where(
                tuple_(LedgerNode.level, LedgerNode.position).in_(inner[start : start + _IN_BATCH])
            )
        )
        found.update({(int(row.level), int(row.position)): bytes(row.hash) for row in rows})
    missing = set(wanted) - found.keys()
    if missing:
        raise LookupError(f"the stored tree lacks nodes {sorted(missing)[:5]}")
    return found


async def load_frontier(connection: AsyncConnection, size: int) -> merkle.Frontier:
    return merkle.Frontier.load(size, await read_nodes(connection, merkle.root_nodes(size)))


async def pending_outbox(connection: AsyncConnection, limit: int) -> list[tuple[int, PendingLeaf]]:
    rows = await connection.execute(
        select(LedgerOutbox.id, LedgerOutbox.data, LedgerOutbox.subject)
        .order_by(LedgerOutbox.id)
        .limit(limit)
    )
    return [(int(row.id), PendingLeaf(bytes(row.data), row.subject)) for row in rows]


async def has_pending_outbox(connection: AsyncConnection) -> bool:
    return (await connection.execute(select(LedgerOutbox.id).limit(1))).first() is not None


async def append(
    connection: AsyncConnection,
    frontier: merkle.Frontier,
    leaves: Sequence[PendingLeaf],
    outbox_ids: Sequence[int],
) -> TreeState:
    """Give `leaves` the next indexes, store them with the nodes they complete, and drop
    their outbox rows. `frontier` is advanced in place."""
    leaf_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    for leaf in leaves:
        digest = merkle.leaf_hash(leaf.data)
        leaf_rows.append(
            {
                "leaf_index": frontier.size,
                "leaf_hash": digest,
                "data": leaf.data,
                "subject": leaf.subject,
            }
        )
        node_rows += [
            {"level": level, "position": position, "hash": node}
            for level, position, node in frontier.append(digest)
        ]
    if leaf_rows:
        await connection.execute(insert(LedgerLeaf), leaf_rows)
    if node_rows:
        await connection.execute(insert(LedgerNode), node_rows)
    for start in range(0, len(outbox_ids), _IN_BATCH):
        await connection.execute(
            delete(LedgerOutbox).where(LedgerOutbox.id.in_(outbox_ids[start : start + _IN_BATCH]))
        )
    state = TreeState(frontier.size, frontier.root())
    await connection.execute(
        update(LedgerState)
        .where(LedgerState.id == STATE_ID)
        .values(tree_size=state.size, root_hash=state.root, updated_at=utcnow())
    )
    return state


async def latest_checkpoint(connection: AsyncConnection) -> LedgerCheckpointRow | None:
    row = (
        await connection.execute(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(1)
        )
    ).first()
    return None if row is None else LedgerCheckpointRow.of(row)


@dataclass(frozen=True)
class LedgerCheckpointRow:
    tree_size: int
    root_hash: bytes
    note: str
    created_at: Any
    anchor_chain_id: int | None
    anchor_tx: str | None

    @classmethod
    def of(cls, row: Any) -> LedgerCheckpointRow:
        return cls(
            int(row.tree_size),
            bytes(row.root_hash),
            row.note,
            row.created_at,
            row.anchor_chain_id,
            row.anchor_tx,
        )
