"""the ledger: outbox, leaves, tree nodes, state and signed checkpoints

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 09:00:00

"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEAF_INDEX = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_outbox",
        sa.Column("id", LEAF_INDEX, autoincrement=True, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_outbox")),
    )
    op.create_table(
        "ledger_leaves",
        sa.Column("leaf_index", LEAF_INDEX, autoincrement=False, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_ledger_leaves")),
    )
    op.create_index("ix_ledger_leaves_leaf_hash", "ledger_leaves", ["leaf_hash"])
    op.create_index(
        "ix_ledger_leaves_subject_leaf_index", "ledger_leaves", ["subject", "leaf_index"]
    )
    op.create_table(
        "ledger_nodes",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "position", name=op.f("pk_ledger_nodes")),
        sqlite_with_rowid=False,
    )
    state = op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_state")),
    )
    op.bulk_insert(
        state,
        [
            {
                "id": 1,
                "tree_size": 0,
                "root_hash": hashlib.sha256(b"").digest(),
                "updated_at": datetime.now(UTC),
            }
        ],
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("anchor_chain_id", sa.BigInteger(), nullable=True),
        sa.Column("anchor_tx", sa.String(length=66), nullable=True),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_ledger_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_state")
    op.drop_table("ledger_nodes")
    op.drop_index("ix_ledger_leaves_subject_leaf_index", table_name="ledger_leaves")
    op.drop_index("ix_ledger_leaves_leaf_hash", table_name="ledger_leaves")
    op.drop_table("ledger_leaves")
    op.drop_table("ledger_outbox")
