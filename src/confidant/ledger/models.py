"""The ledger's tables: pending leaves, the sequenced log, its tree nodes and checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, utcnow

# SQLite makes an INTEGER PRIMARY KEY the rowid (fast appends); BIGINT would not be.
LeafIndex = BigInteger().with_variant(Integer(), "sqlite")


class LedgerOutbox(Base):
    """Leaves written in the same transaction as the database write they describe,
    waiting for the sequencer to give them a place in the log."""

    __tablename__ = "ledger_outbox"

    id: Mapped[int] = mapped_column(LeafIndex, primary_key=True, autoincrement=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str | None] = mapped_column(String(64))


class LedgerLeaf(Base):
    __tablename__ = "ledger_leaves"
    __table_args__ = (
        Index("ix_ledger_leaves_leaf_hash", "leaf_hash"),
        Index("ix_ledger_leaves_subject_leaf_index", "subject", "leaf_index"),
    )

    leaf_index: Mapped[int] = mapped_column(LeafIndex, primary_key=True, autoincrement=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str | None] = mapped_column(String(64), doc="pseudonymous user id")


class LedgerNode(Base):
    """Internal nodes (level >= 1) of every perfect subtree the log has completed."""

    __tablename__ = "ledger_nodes"
    __table_args__ = {"sqlite_with_rowid": False}  # the key is the only lookup

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerState(Base):
    """One row: the sequenced tree's size and root. Sequencers take turns by updating it."""

    __tablename__ = "ledger_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text, doc="C2SP signed note")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    anchor_chain_id: Mapped[int | None] = mapped_column(BigInteger)
    anchor_tx: Mapped[str | None] = mapped_column(String(66))


LEDGER_TABLES = frozenset(
    model.__tablename__
    for model in (LedgerOutbox, LedgerLeaf, LedgerNode, LedgerState, LedgerCheckpoint)
)
