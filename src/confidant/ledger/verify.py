"""Checking the whole log from what is stored: `confidant ledger verify`.

Recomputes every leaf hash and every tree node from the leaves' data, compares them
with the stored ones, checks each checkpoint's signature, its root against the
recomputed tree and its consistency with the one before, and each anchor against its
chain. With `rows`, compares every business row with the content hash in its latest
leaf.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from confidant.kit.db import Base, Database
from confidant.ledger import merkle, store
from confidant.ledger.checkpoints import CheckpointError, open_checkpoint
from confidant.ledger.leaves import ROW_WRITE, Pseudonyms, row_digest
from confidant.ledger.models import LedgerCheckpoint, LedgerLeaf, LedgerNode, LedgerOutbox
from confidant.ledger.recorder import DELETE, WriteRecorder

STREAM_BATCH = 20_000
HASH_SIZE = 32

AnchorCheck = Callable[[int, str, int, bytes], str | None]
Progress = Callable[[int], None]


@dataclass
class Report:
    tree_size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoints: int = 0
    anchors: int = 0
    rows_checked: int = 0
    pending: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_leaf: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def leaf_problem(self, index: int, message: str) -> None:
        if self.first_bad_leaf is None or index < self.first_bad_leaf:
            self.first_bad_leaf = index
        self.problems.append(f"leaf {index}: {message}")


class _Levels(Mapping[merkle.NodeKey, bytes]):
    """Every recomputed node, one packed bytearray per level."""

    def __init__(self) -> None:
        self.levels: list[bytearray] = [bytearray()]

    def add(self, level: int, node: bytes) -> None:
        while len(self.levels) <= level:
            self.levels.append(bytearray())
        self.levels[level] += node

    def count(self, level: int) -> int:
        return len(self.levels[level]) // HASH_SIZE if level < len(self.levels) else 0

    def __getitem__(self, key: merkle.NodeKey) -> bytes:
        level, position = key
        if position >= self.count(level):
            raise KeyError(key)
        return bytes(self.levels[level][position * HASH_SIZE : (position + 1) * HASH_SIZE])

    def __iter__(self) -> Iterator[merkle.NodeKey]:
        for level in range(len(self.levels)):
            for position in range(self.count(level)):
                yield level, position

    def __len__(self) -> int:
        return sum(self.count(level) for level in range(len(self.levels)))


@dataclass(frozen=True)
class _StoredCheckpoint:
    tree_size: int
    root: bytes
    note: str
    chain_id: int | None
    tx: str | None


async def verify_log(
    db: Database,
    verifier_key: str,
    *,
    pseudonyms: Pseudonyms | None = None,
    anchor_check: AnchorCheck | None = None,
    progress: Progress | None = None,
) -> Report:
    """Verify the log; with `pseudonyms` (the server's key) also every business row."""
    report = Report()
    async with db.engine.connect() as connection:
        await _read_one_snapshot(connection)
        checkpoints = await _checkpoints(connection)
        levels, latest_rows = await _recompute(connection, report, progress)
        if report.first_bad_leaf is None:
            await _compare_nodes(connection, levels, report)
            await _compare_state(connection, report)
        _check_checkpoints(checkpoints, levels, verifier_key, report)
        _check_anchors(checkpoints, anchor_check, report)
        pending = [bytes(data) for data in await connection.scalars(select(LedgerOutbox.data))]
        report.pending = len(pending)
        if pseudonyms is not None:
            for data in pending:  # committed with their writes, not yet sequenced
                _remember_row(data, -1, latest_rows)
            await _check_rows(connection, WriteRecorder(pseudonyms), latest_rows, report)
    return report


async def _read_one_snapshot(connection: AsyncConnection) -> None:
    """Every read below sees the same committed state, however busy the server is."""
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("BEGIN")  # pysqlite would not begin for reads
    else:
        await connection.execution_options(isolation_level="REPEATABLE READ")


async def _checkpoints(connection: AsyncConnection) -> list[_StoredCheckpoint]:
    rows = await connection.execute(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size))
    return [
        _StoredCheckpoint(
            int(row.tree_size), bytes(row.root_hash), row.note, row.anchor_chain_id, row.anchor_tx
        )
        for row in rows
    ]


async def _recompute(
    connection: AsyncConnection,
    report: Report,
    progress: Progress | None,
) -> tuple[_Levels, dict[tuple[str, str], tuple[str | None, int]]]:
    """Stream the leaves in order, rebuilding the tree; remember each row's latest leaf."""
    levels = _Levels()
    frontier = merkle.Frontier()
    latest_rows: dict[tuple[str, str], tuple[str | None, int]] = {}
    query = select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash, LedgerLeaf.data).order_by(
        LedgerLeaf.leaf_index
    )
    result = await connection.stream(query.execution_options(yield_per=STREAM_BATCH))
    async for batch in result.partitions():
        for index, stored_hash, data in batch:
            if index != frontier.size:
                report.leaf_problem(frontier.size, f"missing (next stored leaf is {index})")
                return levels, latest_rows
            if not isinstance(data, bytes | memoryview) or not isinstance(
                stored_hash, bytes | memoryview
            ):
                report.leaf_problem(index, "its stored data is not binary")
                return levels, latest_rows
            data = bytes(data)
            digest = merkle.leaf_hash(data)
            if digest != stored_hash:
                report.leaf_problem(index, "its data does not hash to its stored leaf hash")
                return levels, latest_rows
            levels.add(0, digest)
            for level, _position, node in frontier.append(digest):
                levels.add(level, node)
            _remember_row(data, index, latest_rows)
        if progress is not None:
            progress(len(batch))
    report.tree_size, report.root = frontier.size, frontier.root()
    return levels, latest_rows


def _remember_row(
    data: bytes, index: int, latest_rows: dict[tuple[str, str], tuple[str | None, int]]
) -> None:
    if b'"kind":"row"' not in data:
        return
    fields = json.loads(data)
    if fields.get("kind") == ROW_WRITE:
        latest_rows[(fields["table"], fields["rowKey"])] = (
            None if fields["op"] == DELETE else fields["rowSha256"],
            index,
        )


async def _compare_nodes(connection: AsyncConnection, levels: _Levels, report: Report) -> None:
    query = select(LedgerNode.level, LedgerNode.position, LedgerNode.hash).order_by(
        LedgerNode.level, LedgerNode.position
    )
    stored = 0
    result = await connection.stream(query.execution_options(yield_per=STREAM_BATCH))
    async for batch in result.partitions():
        for level, position, digest in batch:
            stored += 1
            try:
                expected = levels[(level, position)]
            except KeyError:
                report.problems.append(f"node ({level}, {position}) is not part of the tree")
                continue
            if bytes(digest) != expected:
                first_leaf = position << level
                report.leaf_problem(first_leaf, f"stored node ({level}, {position}) was altered")
    expected_count = len(levels) - levels.count(0)
    if stored != expected_count:
        report.problems.append(f"{expected_count} tree nodes expected, {stored} stored")


async def _compare_state(connection: AsyncConnection, report: Report) -> None:
    state = await connection.run_sync(store.read_state)
    if (state.size, state.root) != (report.tree_size, report.root):
        report.problems.append(
            f"the state row says size {state.size} root {state.root.hex()}, the leaves give "
            f"size {report.tree_size} root {report.root.hex()}"
        )


def _check_checkpoints(
    checkpoints: list[_StoredCheckpoint], levels: _Levels, verifier_key: str, report: Report
) -> None:
    previous: _StoredCheckpoint | None = None
    for checkpoint in checkpoints:
        report.checkpoints += 1
        label = f"checkpoint {checkpoint.tree_size}"
        try:
            signed = open_checkpoint(checkpoint.note, verifier_key)
        except CheckpointError as error:
            report.problems.append(f"{label}: {error}")
            continue
        if (signed.tree_size, signed.root_hash) != (checkpoint.tree_size, checkpoint.root):
            report.problems.append(f"{label}: the signed note and the stored row disagree")
            continue
        if checkpoint.tree_size > report.tree_size:
            report.problems.append(f"{label}: larger than the verified log")
            continue
        if merkle.root_hash(checkpoint.tree_size, levels) != checkpoint.root:
            report.problems.append(f"{label}: root does not match the leaves")
            continue
        if previous is not None and previous.tree_size > 0:
            proof = merkle.consistency_proof(previous.tree_size, checkpoint.tree_size, levels)
            if not merkle.verify_consistency(
                previous.tree_size, checkpoint.tree_size, previous.root, checkpoint.root, proof
            ):
                report.problems.append(f"{label}: not consistent with {previous.tree_size}")
        previous = checkpoint


def _check_anchors(
    checkpoints: list[_StoredCheckpoint], anchor_check: AnchorCheck | None, report: Report
) -> None:
    for checkpoint in checkpoints:
        if checkpoint.tx is None or checkpoint.chain_id is None:
            continue
        report.anchors += 1
        if anchor_check is None:
            report.problems.append(
                f"checkpoint {checkpoint.tree_size} is anchored in {checkpoint.tx}, and no "
                "chain is configured to check it (CONFIDANT_LEDGER_ANCHOR_RPC_URL)"
            )
            continue
        problem = anchor_check(
            checkpoint.chain_id, checkpoint.tx, checkpoint.tree_size, checkpoint.root
        )
        if problem is not None:
            report.problems.append(f"checkpoint {checkpoint.tree_size}: {problem}")


async def _check_rows(
    connection: AsyncConnection,
    recorder: WriteRecorder,
    latest_rows: dict[tuple[str, str], tuple[str | None, int]],
    report: Report,
) -> None:
    """Every stored row must match the content hash of its latest leaf."""
    present: set[tuple[str, str]] = set()
    for table in Base.metadata.sorted_tables:
        if not recorder.records(table):
            continue
        try:
            query = select(table).execution_options(yield_per=STREAM_BATCH)
            result = await connection.stream(query)
            async for batch in result.mappings().partitions():
                for row in batch:
                    report.rows_checked += 1
                    _check_row(recorder, table, row, latest_rows, present, report)
        except DBAPIError as error:  # a value of the wrong type, written around the service
            report.problems.append(f"{table.name}: a row cannot be read ({error.orig})")
    for (table_name, row_key), (digest, index) in latest_rows.items():
        if digest is not None and (table_name, row_key) not in present:
            report.problems.append(
                f"{table_name} row {row_key[:16]}…: deleted outside the service (leaf {index} "
                "is its last write)"
            )


def _check_row(
    recorder: WriteRecorder,
    table: Any,
    row: Mapping[Any, Any],
    latest_rows: dict[tuple[str, str], tuple[str | None, int]],
    present: set[tuple[str, str]],
    report: Report,
) -> None:
    key = recorder.pseudonyms.row(table.name, [row[c.key] for c in table.primary_key.columns])
    present.add((table.name, key))
    latest = latest_rows.get((table.name, key))
    if latest is None or latest[0] is None:
        report.problems.append(f"{table.name} row {key[:16]}…: written outside the service")
    elif latest[0] != row_digest(table, row):
        report.problems.append(
            f"{table.name} row {key[:16]}…: changed outside the service (leaf {latest[1]} "
            "has its last write)"
        )
