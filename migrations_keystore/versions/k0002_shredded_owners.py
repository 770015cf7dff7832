"""shredded owners: the ids whose keys were destroyed, which backups leave out

Revision ID: k0002
Revises: k0001
Create Date: 2026-12-01 17:50:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0002"
down_revision: str | Sequence[str] | None = "k0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shredded_owners",
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_shredded_owners")),
    )


def downgrade() -> None:
    op.drop_table("shredded_owners")
