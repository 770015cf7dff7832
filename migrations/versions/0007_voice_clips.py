"""voice clips: recordings and spoken replies, encrypted, kept for a while

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 15:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "voice_clips",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("audio_ct", sa.LargeBinary(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_voice_clips_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_voice_clips_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_clips")),
    )
    op.create_index("ix_voice_clips_user_id", "voice_clips", ["user_id"])
    op.create_index("ix_voice_clips_message_id", "voice_clips", ["message_id"])
    op.create_index("ix_voice_clips_expires_at", "voice_clips", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_voice_clips_expires_at", table_name="voice_clips")
    op.drop_index("ix_voice_clips_message_id", table_name="voice_clips")
    op.drop_index("ix_voice_clips_user_id", table_name="voice_clips")
    op.drop_table("voice_clips")
