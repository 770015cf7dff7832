"""Reading the log: the latest checkpoint, proofs, and a user's own trail."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from confidant.kit.errors import DomainError, InvalidInput, NotFound
from confidant.ledger import merkle, store
from confidant.ledger.leaves import summarize
from confidant.ledger.models import LedgerLeaf
from confidant.ledger.store import LedgerCheckpointRow

if TYPE_CHECKING:
    from confidant.runtime import Runtime


class OutOfRange(DomainError):
    status_code = 400
    code = "out_of_range"


@dataclass(frozen=True)
class InclusionProof:
    leaf_index: int
    tree_size: int
    hashes: list[bytes]


@dataclass(frozen=True)
class TrailItem:
    leaf_hash: bytes
    leaf_index: int
    action: str
    at: str
    proof: list[bytes] | None
    data: bytes = b""  # the leaf's canonical bytes, as hashed into the tree


@dataclass(frozen=True)
class Trail:
    items: list[TrailItem]
    checkpoint: LedgerCheckpointRow | None
    next_cursor: str | None


@dataclass(frozen=True)
class LogStatus:
    """How far the log has got: its size, the row-write leaves still in the outbox, and
    the latest checkpoint (None before the first)."""

    tree_size: int
    outbox_leaves: int
    checkpoint_size: int | None
    checkpoint_at: datetime | None


async def log_status(rt: Runtime) -> LogStatus:
    """Three small reads on one connection: the state row, the outbox's count, the
    newest checkpoint. The API-call leaves in memory are `rt.ledger.calls`."""
    return await rt.db.read(_log_status)


def _log_status(connection: Connection) -> LogStatus:
    state = store.read_state(connection)
    checkpoint = store.latest_checkpoint(connection)
    return LogStatus(
        state.size,
        store.count_outbox(connection),
        checkpoint.tree_size if checkpoint is not None else None,
        checkpoint.created_at if checkpoint is not None else None,
    )


async def latest_checkpoint(rt: Runtime) -> LedgerCheckpointRow:
    checkpoint = await rt.db.read(store.latest_checkpoint)
    if checkpoint is None:
        raise NotFound("The ledger has no checkpoint yet; the sequencer signs one at start-up")
    return checkpoint


def parse_hash(text: str, field: str) -> bytes:
    """A SHA-256 hash given as 64 hex digits (0x optional)."""
    digits = text[2:] if text.lower().startswith("0x") else text
    try:
        value = bytes.fromhex(digits)
    except ValueError:
        value = b""
    if len(value) != 32:
        raise InvalidInput(
            f"{field} must be a SHA-256 hash in hex",
            details=[{"field": f"query.{field}", "message": "expected 64 hex digits"}],
        )
    return value


async def inclusion_proof(rt: Runtime, leaf: bytes, tree_size: int | None) -> InclusionProof:
    # Each read runs whole on one connection (see Database.read): a proof is short.
    return await rt.db.read(lambda connection: _inclusion_proof(connection, leaf, tree_size))


def _inclusion_proof(connection: Connection, leaf: bytes, tree_size: int | None) -> InclusionProof:
    index = connection.scalar(
        select(LedgerLeaf.leaf_index)
        .where(LedgerLeaf.leaf_hash == leaf)
        .order_by(LedgerLeaf.leaf_index)
        .limit(1)
    )
    if index is None:
        raise NotFound("No sequenced leaf has that hash (yet)")
    index = int(index)
    size = tree_size if tree_size is not None else _checkpoint_size(connection)
    out_of_range = OutOfRange(
        f"tree_size must be larger than the leaf's index ({index}) and at most the log's size",
        details={"leafIndex": index, "treeSize": size},
    )
    if not index < size:
        raise out_of_range
    try:
        hashes = _inclusion_hashes(connection, index, size)
    except store.MissingNodes:
        if size > store.read_state(connection).size:
            raise out_of_range from None
        raise  # the stored tree is damaged: `confidant ledger verify` says where
    return InclusionProof(index, size, hashes)


def _checkpoint_size(connection: Connection) -> int:
    checkpoint = store.latest_checkpoint(connection)
    return checkpoint.tree_size if checkpoint else store.read_state(connection).size


def _inclusion_hashes(connection: Connection, index: int, size: int) -> list[bytes]:
    nodes = store.read_nodes(connection, merkle.inclusion_nodes(index, size))
    return merkle.inclusion_proof(index, size, nodes)


async def consistency_proof(rt: Runtime, first: int, second: int) -> list[bytes]:
    return await rt.db.read(lambda connection: _consistency_proof(connection, first, second))


def _consistency_proof(connection: Connection, first: int, second: int) -> list[bytes]:
    size = store.read_state(connection).size
    if not 0 < first <= second <= size:
        raise OutOfRange(
            f"need 0 < first <= second <= {size} (the log's size)",
            details={"first": first, "second": second, "treeSize": size},
        )
    nodes = store.read_nodes(connection, merkle.consistency_nodes(first, second))
    return merkle.consistency_proof(first, second, nodes)


async def trail(
    rt: Runtime, user_id: str, cursor: str | None, limit: int, with_proofs: bool
) -> Trail:
    """The user's own sequenced leaves, newest first. Proofs are against the latest
    checkpoint, so leaves sequenced after it have none until the next one."""
    subject = rt.ledger.pseudonyms.subject(user_id)
    before = _decode_cursor(cursor) if cursor is not None else None
    return await rt.db.read(
        lambda connection: _trail(connection, subject, before, limit, with_proofs)
    )


def _trail(
    connection: Connection, subject: str | None, before: int | None, limit: int, with_proofs: bool
) -> Trail:
    query = select(LedgerLeaf.leaf_index, LedgerLeaf.leaf_hash, LedgerLeaf.data).where(
        LedgerLeaf.subject == subject
    )
    if before is not None:
        query = query.where(LedgerLeaf.leaf_index < before)
    checkpoint = store.latest_checkpoint(connection)
    rows = list(connection.execute(query.order_by(LedgerLeaf.leaf_index.desc()).limit(limit + 1)))
    items = []
    for row in rows[:limit]:
        index = int(row.leaf_index)
        summary = summarize(bytes(row.data))
        proof = None
        if with_proofs and checkpoint is not None and index < checkpoint.tree_size:
            proof = _inclusion_hashes(connection, index, checkpoint.tree_size)
        items.append(
            TrailItem(
                bytes(row.leaf_hash), index, summary.action, summary.at, proof, bytes(row.data)
            )
        )
    next_cursor = _encode_cursor(items[-1].leaf_index) if len(rows) > limit else None
    return Trail(items, checkpoint, next_cursor)


def _encode_cursor(leaf_index: int) -> str:
    return base64.urlsafe_b64encode(f"leaf:{leaf_index}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, index = raw.partition(":")
        if kind != "leaf" or not index.isdigit():
            raise ValueError(raw)
        return int(index)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(
            "Invalid cursor", details=[{"field": "query.cursor", "message": "not a cursor"}]
        ) from error
