"""Recomputes a user's streak, XP and level from their rows after anything they log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from confidant.auth.models import User
from confidant.kit.clock import local_day, today_for, zone_of
from confidant.tracking import stats
from confidant.tracking.models import HabitCheckIn, MindfulnessSession, MoodEntry
from confidant.tracking.schemas import StatsOut
from confidant.tracking.stats import Activity, Kind

# Rows that count as one activity each on the day of their moment: (kind, the row's
# owner column, its moment column). Other domains register theirs (diary entries,
# questionnaires), so tracking imports none of them.
TimedActivity = tuple[Kind, InstrumentedAttribute[str], InstrumentedAttribute[datetime]]
TIMED_ACTIVITIES: list[TimedActivity] = []


def register_timed_activity(
    kind: Kind, owner: InstrumentedAttribute[Any], moment: InstrumentedAttribute[Any]
) -> None:
    if all(registered[0] != kind for registered in TIMED_ACTIVITIES):
        TIMED_ACTIVITIES.append((kind, owner, moment))


register_timed_activity(Kind.MOOD, MoodEntry.user_id, MoodEntry.logged_at)


async def activities_of(session: AsyncSession, user: User) -> list[Activity]:
    """Every activity as a (kind, local day); only plain columns are read, nothing decrypted."""
    zone = zone_of(user)
    found: list[Activity] = []
    for kind, owner, moment in TIMED_ACTIVITIES:
        moments = await session.scalars(select(moment).where(owner == user.id))
        found += [Activity(kind, local_day(m, zone)) for m in moments]
    days = await session.scalars(select(HabitCheckIn.day).where(HabitCheckIn.user_id == user.id))
    found += [Activity(Kind.CHECK_IN, day) for day in days]
    sessions = await session.execute(
        select(MindfulnessSession.completed_at, MindfulnessSession.duration_seconds).where(
            MindfulnessSession.user_id == user.id
        )
    )
    found += [Activity(Kind.SESSION, local_day(at, zone), secs // 60) for at, secs in sessions]
    return found


async def refresh_stats(session: AsyncSession, user: User) -> None:
    """Call after the activity is added or removed (it flushes, then counts)."""
    await session.flush()
    derived = stats.derive(await activities_of(session, user), today_for(user))
    user.streak_days = derived.streak_days
    user.xp = derived.xp
    user.level = derived.level
    user.last_active_on = derived.last_active_on


def stats_out(user: User) -> StatsOut:
    return StatsOut(
        streak_days=stats.visible_streak(user.streak_days, user.last_active_on, today_for(user)),
        xp=user.xp,
        level=user.level,
        next_level_xp=stats.xp_for_level(user.level + 1),
        last_active_on=user.last_active_on,
    )
