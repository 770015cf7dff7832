from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow


class MoodEntry(Base):
    """Score, note and tags are one ciphertext; only the time is plain (ranges and charts)."""

    __tablename__ = "mood_entries"
    __table_args__ = (Index("ix_mood_entries_user_id_logged_at", "user_id", "logged_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Habit(Base):
    """The name is encrypted ("take my medication" is health data); the weekly target is not."""

    __tablename__ = "habits"
    __table_args__ = (Index("ix_habits_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name_ct: Mapped[bytes] = mapped_column(LargeBinary)
    target_per_week: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HabitCheckIn(Base):
    """One per habit per day, the day as the user saw it in their own time zone."""

    __tablename__ = "habit_check_ins"
    __table_args__ = (
        UniqueConstraint("habit_id", "day", name="uq_habit_check_ins_habit_id_day"),
        Index("ix_habit_check_ins_user_id_day", "user_id", "day"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    habit_id: Mapped[str] = mapped_column(ForeignKey("habits.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MindfulnessSession(Base):
    """A finished session: the title is encrypted, the length is plain (it earns XP)."""

    __tablename__ = "mindfulness_sessions"
    __table_args__ = (
        Index("ix_mindfulness_sessions_user_id_completed_at", "user_id", "completed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title_ct: Mapped[bytes] = mapped_column(LargeBinary)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
