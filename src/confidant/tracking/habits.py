"""Habits and their daily check-ins (one per habit per day, in the user's time zone)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.clock import today_for
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import Conflict, InvalidInput
from confidant.kit.repository import one_or_404, owned, scoped
from confidant.tracking.activity import refresh_stats
from confidant.tracking.models import Habit, HabitCheckIn
from confidant.tracking.schemas import CheckInOut, HabitCreate, HabitOut, HabitPatch

if TYPE_CHECKING:
    from confidant.runtime import Runtime

BACKFILL_DAYS = 7  # a forgotten tick can be added up to a week later
HABIT_NOT_FOUND = "Habit not found"


def _seal_name(habit: Habit, key: DataKey, name: str) -> None:
    habit.name_ct = key.encrypt(name.encode(), table="habits", column="name", row_id=habit.id)


def name_of(habit: Habit, key: DataKey) -> str:
    return key.decrypt(habit.name_ct, table="habits", column="name", row_id=habit.id).decode()


def habit_out(habit: Habit, key: DataKey, recent_days: set[date], today: date) -> HabitOut:
    return HabitOut(
        id=habit.id,
        name=name_of(habit, key),
        target_per_week=habit.target_per_week,
        archived=habit.archived_at is not None,
        checked_today=today in recent_days,
        this_week=sum(1 for d in recent_days if d > today - timedelta(days=7)),
        created_at=habit.created_at,
    )


async def habits_of(session: AsyncSession, user: User) -> list[Habit]:
    return list(await session.scalars(scoped(Habit, user.id).order_by(Habit.created_at, Habit.id)))


async def check_in_days(
    session: AsyncSession, user: User, since: date, until: date
) -> dict[str, set[date]]:
    """Habit id -> the days it was checked in between `since` and `until` inclusive."""
    rows = await session.execute(
        select(HabitCheckIn.habit_id, HabitCheckIn.day).where(
            HabitCheckIn.user_id == user.id, HabitCheckIn.day >= since, HabitCheckIn.day <= until
        )
    )
    days: dict[str, set[date]] = {}
    for habit_id, day in rows:
        days.setdefault(habit_id, set()).add(day)
    return days


async def _outs(
    rt: Runtime, session: AsyncSession, user: User, habits: list[Habit]
) -> list[HabitOut]:
    """The habits with whether they were checked today and how often in the last 7 days."""
    key = await rt.keystore.user_key(user.id)
    today = today_for(user)
    recent = await check_in_days(session, user, today - timedelta(days=6), today)
    return [habit_out(h, key, recent.get(h.id, set()), today) for h in habits]


async def _out(rt: Runtime, session: AsyncSession, user: User, habit: Habit) -> HabitOut:
    (out,) = await _outs(rt, session, user, [habit])
    return out


async def create(rt: Runtime, session: AsyncSession, user: User, data: HabitCreate) -> HabitOut:
    key = await rt.keystore.user_key(user.id)
    habit = Habit(
        id=new_id(), user_id=user.id, target_per_week=data.target_per_week, created_at=utcnow()
    )
    _seal_name(habit, key, data.name)
    session.add(habit)
    await session.flush()
    return await _out(rt, session, user, habit)


async def list_habits(
    rt: Runtime, session: AsyncSession, user: User, include_archived: bool
) -> list[HabitOut]:
    habits = await habits_of(session, user)
    shown = [h for h in habits if include_archived or h.archived_at is None]
    return await _outs(rt, session, user, shown)


async def get(rt: Runtime, session: AsyncSession, user: User, habit_id: str) -> HabitOut:
    return await _out(
        rt, session, user, await owned(session, Habit, user.id, habit_id, missing=HABIT_NOT_FOUND)
    )


async def update(
    rt: Runtime, session: AsyncSession, user: User, habit_id: str, patch: HabitPatch
) -> HabitOut:
    habit = await owned(session, Habit, user.id, habit_id, missing=HABIT_NOT_FOUND)
    if patch.name is not None:
        _seal_name(habit, await rt.keystore.user_key(user.id), patch.name)
    if patch.target_per_week is not None:
        habit.target_per_week = patch.target_per_week
    if patch.archived is not None:
        habit.archived_at = (habit.archived_at or utcnow()) if patch.archived else None
    await session.flush()
    return await _out(rt, session, user, habit)


async def delete(session: AsyncSession, user: User, habit_id: str) -> None:
    await session.delete(await owned(session, Habit, user.id, habit_id, missing=HABIT_NOT_FOUND))
    await refresh_stats(session, user)


def _check_in_day(user: User, day: date | None) -> date:
    today = today_for(user)
    if day is None:
        return today
    if day > today:
        raise InvalidInput(
            "You cannot check in for a day that has not come yet",
            details=[{"field": "body.day", "message": f"after today ({today.isoformat()})"}],
        )
    if day < today - timedelta(days=BACKFILL_DAYS):
        raise InvalidInput(
            f"Check-ins can be added up to {BACKFILL_DAYS} days back",
            details=[{"field": "body.day", "message": "too far in the past"}],
        )
    return day


async def check_in(
    session: AsyncSession, user: User, habit_id: str, day: date | None
) -> tuple[CheckInOut, bool]:
    """The check-in for that day and whether it is new (checking in twice is harmless)."""
    habit = await owned(session, Habit, user.id, habit_id, missing=HABIT_NOT_FOUND)
    if habit.archived_at is not None:
        raise Conflict("This habit is archived; restore it to check in")
    wanted = _check_in_day(user, day)
    existing = await session.scalar(
        scoped(HabitCheckIn, user.id).where(
            HabitCheckIn.habit_id == habit.id, HabitCheckIn.day == wanted
        )
    )
    if existing is not None:
        return _check_in_out(existing), False
    row = HabitCheckIn(
        id=new_id(), habit_id=habit.id, user_id=user.id, day=wanted, created_at=utcnow()
    )
    session.add(row)
    await refresh_stats(session, user)
    return _check_in_out(row), True


async def undo_check_in(session: AsyncSession, user: User, habit_id: str, day: date) -> None:
    habit = await owned(session, Habit, user.id, habit_id, missing=HABIT_NOT_FOUND)
    row = await one_or_404(
        session,
        scoped(HabitCheckIn, user.id).where(
            HabitCheckIn.habit_id == habit.id, HabitCheckIn.day == day
        ),
        missing="No check-in on that day",
    )
    await session.delete(row)
    await refresh_stats(session, user)


async def list_check_ins(
    session: AsyncSession, user: User, habit_id: str, since: date, until: date
) -> list[CheckInOut]:
    habit = await owned(session, Habit, user.id, habit_id, missing=HABIT_NOT_FOUND)
    rows = await session.scalars(
        scoped(HabitCheckIn, user.id)
        .where(HabitCheckIn.habit_id == habit.id)
        .where(HabitCheckIn.day >= since, HabitCheckIn.day <= until)
        .order_by(HabitCheckIn.day.desc())
    )
    return [_check_in_out(r) for r in rows]


def _check_in_out(row: HabitCheckIn) -> CheckInOut:
    return CheckInOut(habit_id=row.habit_id, day=row.day, created_at=row.created_at)


async def all_check_ins(session: AsyncSession, user: User) -> list[HabitCheckIn]:
    rows = await session.scalars(
        scoped(HabitCheckIn, user.id).order_by(HabitCheckIn.day, HabitCheckIn.habit_id)
    )
    return list(rows)
