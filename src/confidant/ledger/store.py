"""The stored tree: its state row, leaves, nodes and checkpoints, read and extended."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, TextClause, delete, func, insert, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from confidant.kit.db import Base, utcnow
from confidant.ledger import merkle
from confidant.ledger.models import (
    LedgerCheckpoint,
    LedgerLeaf,
    LedgerNode,
    LedgerOutbox,
    LedgerState,
)

STATE_ID = 1
_IN_BATCH = 500


@dataclass(frozen=True)
class TreeState:
    size: int
    root: bytes


class PendingLeaf(NamedTuple):
    """A tuple of plain values, which the garbage collector stops tracking: thousands
    wait in memory between sequencing steps."""

    data: bytes
    subject: str | None


async def claim_state(connection: AsyncConnection) -> TreeState:
    """Take the sequencer's turn (a write to the state row comes first, so on SQLite the
    write lock is taken before anything is read) and return the tree's state."""
    row = (
        await connection.execute(
            update(LedgerState)
            .where(LedgerState.id == STATE_ID)
            .values(updated_at=utcnow())
            .returning(LedgerState.tree_size, LedgerState.root_hash)
        )
    ).one()
    return TreeState(int(row.tree_size), bytes(row.root_hash))


def read_state(connection: Connection) -> TreeState:
    row = (
        connection.execute(
            select(LedgerState.tree_size, LedgerState.root_hash).where(LedgerState.id == STATE_ID)
        )
    ).one()
    return TreeState(int(row.tree_size), bytes(row.root_hash))


def read_nodes(
    connection: Connection, keys: Iterable[merkle.NodeKey]
) -> dict[merkle.NodeKey, bytes]:
    """The hashes of perfect subtrees (leaf hashes for level 0, stored nodes above), in one
    query per few hundred keys. Raises MissingNodes for keys the tree does not have."""
    wanted = list(keys)
    found: dict[merkle.NodeKey, bytes] = {}
    for start in range(0, len(wanted), _IN_BATCH):
        statement, params = _nodes_query(wanted[start : start + _IN_BATCH])
        rows = connection.execute(statement, params)
        found.update({(int(row.level), int(row.position)): bytes(row.hash) for row in rows})
    missing = set(wanted) - found.keys()
    if missing:
        raise MissingNodes(sorted(missing))
    return found


class MissingNodes(LookupError):
    """The stored tree has no such node: it is smaller than asked, or damaged."""


def _nodes_query(keys: list[merkle.NodeKey]) -> tuple[TextClause, dict[str, int]]:
    leaves = [position for level, position in keys if level == 0]
    inner = [(level, position) for level, position in keys if level > 0]
    params = {f"x{i}": position for i, position in enumerate(leaves)}
    for i, (level, position) in enumerate(inner):
        params[f"l{i}"], params[f"p{i}"] = level, position
    return _nodes_statement(len(leaves), len(inner)), params


@functools.cache
def _nodes_statement(leaves: int, inner: int) -> TextClause:
    """One statement per shape, built once: assembling the equivalent SQLAlchemy
    expression on every proof took 15 times longer than running it. The per-key
    equality terms (not a row-value IN) are what SQLite answers from the index."""
    leaf_match = ", ".join(f":x{i}" for i in range(leaves)) or "NULL"
    node_match = " OR ".join(f"(level = :l{i} AND position = :p{i})" for i in range(inner))
    return text(
        f"SELECT 0 AS level, leaf_index AS position, leaf_hash AS hash FROM ledger_leaves "
        f"WHERE leaf_index IN ({leaf_match}) "
        f"UNION ALL SELECT level, position, hash FROM ledger_nodes WHERE {node_match or '1 = 0'}"
    )


def read_level(connection: Connection, level: int, start: int, end: int) -> list[bytes]:
    """The hashes of the nodes (level, start) .. (level, end - 1) in order, in one range
    read on the table's key: leaf hashes at level 0, stored nodes above. Raises
    MissingNodes when the tree has fewer."""
    if level == 0:
        query = select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash).where(
            LedgerLeaf.leaf_index >= start, LedgerLeaf.leaf_index < end
        )
    else:
        query = select(LedgerNode.position, LedgerNode.hash).where(
            LedgerNode.level == level, LedgerNode.position >= start, LedgerNode.position < end
        )
    found = {int(position): bytes(digest) for position, digest in connection.execute(query)}
    return _in_order(found, level, start, end)


def read_leaf_data(connection: Connection, start: int, end: int) -> list[bytes]:
    """The canonical bytes of leaves start .. end - 1, in order."""
    query = select(LedgerLeaf.leaf_index, LedgerLeaf.data).where(
        LedgerLeaf.leaf_index >= start, LedgerLeaf.leaf_index < end
    )
    found = {int(index): bytes(data) for index, data in connection.execute(query)}
    return _in_order(found, 0, start, end)


def _in_order(found: dict[int, bytes], level: int, start: int, end: int) -> list[bytes]:
    missing = [(level, position) for position in range(start, end) if position not in found]
    if missing:
        raise MissingNodes(missing)
    return [found[position] for position in range(start, end)]


def load_frontier(connection: Connection, size: int) -> merkle.Frontier:
    return merkle.Frontier.load(size, read_nodes(connection, merkle.root_nodes(size)))


async def pending_outbox(connection: AsyncConnection, limit: int) -> list[tuple[int, PendingLeaf]]:
    rows = await connection.execute(
        select(LedgerOutbox.id, LedgerOutbox.data, LedgerOutbox.subject)
        .order_by(LedgerOutbox.id)
        .limit(limit)
    )
    return [(int(row.id), PendingLeaf(bytes(row.data), row.subject)) for row in rows]


def count_outbox(connection: Connection) -> int:
    return int(connection.scalar(select(func.count()).select_from(LedgerOutbox)) or 0)


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
    leaf_rows: list[tuple[Any, ...]] = []
    node_rows: list[tuple[Any, ...]] = []
    for leaf in leaves:
        digest = merkle.leaf_hash(leaf.data)
        leaf_rows.append((frontier.size, digest, leaf.data, leaf.subject))
        node_rows += frontier.append(digest)
    await _insert_many(
        connection, LedgerLeaf, ("leaf_index", "leaf_hash", "data", "subject"), leaf_rows
    )
    await _insert_many(connection, LedgerNode, ("level", "position", "hash"), node_rows)
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


async def _insert_many(
    connection: AsyncConnection,
    model: type[Base],
    columns: tuple[str, ...],
    rows: list[tuple[Any, ...]],
) -> None:
    """A driver-level executemany: SQLAlchemy's per-row parameter handling cost more than
    the inserts themselves."""
    if not rows:
        return
    sql, order = _insert_sql(connection.dialect, model, columns)
    positions = [columns.index(name) for name in order]
    await connection.exec_driver_sql(sql, [tuple(row[i] for i in positions) for row in rows])


@functools.cache
def _insert_sql(
    dialect: Dialect, model: type[Base], columns: tuple[str, ...]
) -> tuple[str, list[str]]:
    compiled = insert(model).compile(dialect=dialect, column_keys=list(columns))
    return str(compiled), list(compiled.positiontup or ())


def latest_checkpoint(connection: Connection) -> LedgerCheckpointRow | None:
    row = (
        connection.execute(
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
