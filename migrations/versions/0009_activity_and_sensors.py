"""mood entries, habits and check-ins, mindfulness sessions, sensor samples; the day a
user was last active (for the streak)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 09:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id_and_owner(table: str) -> list[sa.Column | sa.ForeignKeyConstraint]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("last_active_on", sa.Date(), nullable=True))
    op.create_table(
        "mood_entries",
        *_id_and_owner("mood_entries"),
        sa.Column("logged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_ct", sa.LargeBinary(), nullable=False),
        _created_at(),
    )
    op.create_index("ix_mood_entries_user_id_logged_at", "mood_entries", ["user_id", "logged_at"])
    op.create_table(
        "habits",
        *_id_and_owner("habits"),
        sa.Column("name_ct", sa.LargeBinary(), nullable=False),
        sa.Column("target_per_week", sa.Integer(), nullable=False),
        _created_at(),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_habits_user_id_created_at", "habits", ["user_id", "created_at"])
    op.create_table(
        "habit_check_ins",
        *_id_and_owner("habit_check_ins"),
        sa.Column("habit_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["habit_id"],
            ["habits.id"],
            name=op.f("fk_habit_check_ins_habit_id_habits"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("habit_id", "day", name="uq_habit_check_ins_habit_id_day"),
    )
    op.create_index("ix_habit_check_ins_user_id_day", "habit_check_ins", ["user_id", "day"])
    op.create_table(
        "mindfulness_sessions",
        *_id_and_owner("mindfulness_sessions"),
        sa.Column("title_ct", sa.LargeBinary(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        _created_at(),
    )
    op.create_index(
        "ix_mindfulness_sessions_user_id_completed_at",
        "mindfulness_sessions",
        ["user_id", "completed_at"],
    )
    op.create_table(
        "sensor_samples",
        *_id_and_owner("sensor_samples"),
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value_ct", sa.LargeBinary(), nullable=False),
        _created_at(),
        sa.UniqueConstraint("user_id", "client_id", name="uq_sensor_samples_user_id_client_id"),
    )
    op.create_index(
        "ix_sensor_samples_user_id_measured_at", "sensor_samples", ["user_id", "measured_at"]
    )


def downgrade() -> None:
    for table, index in (
        ("sensor_samples", "ix_sensor_samples_user_id_measured_at"),
        ("mindfulness_sessions", "ix_mindfulness_sessions_user_id_completed_at"),
        ("habit_check_ins", "ix_habit_check_ins_user_id_day"),
        ("habits", "ix_habits_user_id_created_at"),
        ("mood_entries", "ix_mood_entries_user_id_logged_at"),
    ):
        op.drop_index(index, table_name=table)
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_active_on")
