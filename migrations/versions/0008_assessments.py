"""assessment responses (PHQ-9, GAD-7, WHO-5), encrypted

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 17:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_responses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("assessment_id", sa.String(length=16), nullable=False),
        sa.Column("answers_ct", sa.LargeBinary(), nullable=False),
        sa.Column("result_ct", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assessment_responses_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment_responses")),
    )
    op.create_index(
        "ix_assessment_responses_user_id_created_at",
        "assessment_responses",
        ["user_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_assessment_responses_user_id_created_at", table_name="assessment_responses")
    op.drop_table("assessment_responses")
