"""voice clips and avatars may live in an S3-compatible bucket: their bytes become
optional, and a location names the object

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 18:20:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("voice_clips", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=200), nullable=True))
        batch_op.alter_column("audio_ct", existing_type=sa.LargeBinary(), nullable=True)
    with op.batch_alter_table("avatars", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location", sa.String(length=200), nullable=True))
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("avatars", schema=None) as batch_op:
        batch_op.alter_column("data", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("location")
    with op.batch_alter_table("voice_clips", schema=None) as batch_op:
        batch_op.alter_column("audio_ct", existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column("location")
