"""The week and the month in numbers and as a picture, counted in the user's time zone.

- moodTrend: the average mood of each day in the range (7 or 30 days ending today);
  a day with nothing logged is null.
- avgMood: the mean of every mood entry in the last 7 (week) or 30 (month) days.
- habitRate: check-ins / habit-days, where a habit-day is a day in the range on which
  the habit existed (from its creation or earliest check-in) and was not archived.
- completion: this week's check-ins counted up to each habit's weekly target, over the
  sum of those targets (the weekly goal).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import fmean
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from confidant.analytics import chart
from confidant.analytics.chart import ChartFormat, MoodChart, ScoreMark
from confidant.analytics.schemas import (
    AnalyticsOut,
    ChartsOut,
    CompletionOut,
    MonthOut,
    MoodTrendOut,
    ProgressOut,
    Range,
    WeekOut,
)
from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.kit.clock import day_bounds, days_ending, local_day, today_for, zone_of
from confidant.tracking import habits as habits_service
from confidant.tracking import mood as mood_service
from confidant.tracking.activity import stats_out
from confidant.tracking.models import Habit
from confidant.wellbeing import service as wellbeing_service

if TYPE_CHECKING:
    from confidant.runtime import Runtime

RANGE_DAYS: dict[Range, int] = {"week": 7, "month": 30}
WEEKLY_GOAL_LABEL = "Weekly Goal"


@dataclass(frozen=True)
class MoodLog:
    """Mood entries of the last `days` days, as (local day, score)."""

    today: date
    scores: list[tuple[date, int]]

    def daily_average(self, days: list[date]) -> list[float | None]:
        by_day: dict[date, list[int]] = defaultdict(list)
        for day, score in self.scores:
            by_day[day].append(score)
        return [round(fmean(by_day[d]), 1) if by_day[d] else None for d in days]

    def average_over(self, days: int) -> float | None:
        first = self.today - timedelta(days=days - 1)
        scores = [score for day, score in self.scores if day >= first]
        return round(fmean(scores), 1) if scores else None


async def mood_log(session: AsyncSession, user: User, key: DataKey, days: int) -> MoodLog:
    today = today_for(user)
    zone = zone_of(user)
    start, end = day_bounds(today - timedelta(days=days - 1), today, zone)
    entries = await mood_service.in_range(session, user, start, end)
    return MoodLog(
        today, [(local_day(e.logged_at, zone), mood_service.score_of(e, key)) for e in entries]
    )


def _habit_days(habit: Habit, done: set[date], days: list[date], user: User) -> list[date]:
    """The days the habit counted on: from its creation (or its first check-in, when one
    was added for an earlier day) until it was archived."""
    zone = zone_of(user)
    born = min([local_day(habit.created_at, zone), *done])
    ended = local_day(habit.archived_at, zone) if habit.archived_at else None
    return [d for d in days if d >= born and (ended is None or d < ended)]


def habit_rate(
    habits: list[Habit], checked: dict[str, set[date]], days: list[date], user: User
) -> int | None:
    possible = done = 0
    for habit in habits:
        ticks = checked.get(habit.id, set())
        eligible = _habit_days(habit, ticks, days, user)
        possible += len(eligible)
        done += len(ticks & set(eligible))
    return round(100 * done / possible) if possible else None


def completion(
    habits: list[Habit], checked: dict[str, set[date]], week: list[date]
) -> CompletionOut:
    active = [h for h in habits if h.archived_at is None]
    goal = sum(h.target_per_week for h in active)
    done = sum(min(len(checked.get(h.id, set()) & set(week)), h.target_per_week) for h in active)
    value = round(100 * done / goal) if goal else 0
    return CompletionOut(value=value, label=WEEKLY_GOAL_LABEL, done=done, goal=goal)


def _labels(days: list[date]) -> list[str]:
    if len(days) <= 7:
        return [d.strftime("%a") for d in days]
    return [f"{d.day} {d.strftime('%b')}" for d in days]


async def analytics(rt: Runtime, session: AsyncSession, user: User, span: Range) -> AnalyticsOut:
    key = await rt.keystore.user_key(user.id)
    log = await mood_log(session, user, key, RANGE_DAYS["month"])
    week = days_ending(log.today, RANGE_DAYS["week"])
    month = days_ending(log.today, RANGE_DAYS["month"])
    shown = week if span == "week" else month
    habits = await habits_service.habits_of(session, user)
    checked = await habits_service.check_in_days(session, user, month[0], log.today)
    return AnalyticsOut(
        range=span,
        time_zone=zone_of(user).key,
        charts=ChartsOut(
            mood_trend=MoodTrendOut(
                labels=_labels(shown), values=log.daily_average(shown), days=shown
            ),
            completion=completion(habits, checked, week),
        ),
        progress=ProgressOut(
            week=WeekOut(
                avg_mood=log.average_over(len(week)),
                habit_rate=habit_rate(habits, checked, week, user),
                days_streak=stats_out(user).streak_days,
            ),
            month=MonthOut(
                avg_mood=log.average_over(len(month)),
                habit_rate=habit_rate(habits, checked, month, user),
            ),
        ),
    )


def _title(days: list[date]) -> str:
    first, last = days[0], days[-1]
    return f"Your mood, {first.day} {first.strftime('%b')} - {last.day} {last:%b %Y}"


async def mood_picture(
    rt: Runtime, session: AsyncSession, user: User, span: Range, fmt: ChartFormat
) -> bytes:
    key = await rt.keystore.user_key(user.id)
    log = await mood_log(session, user, key, RANGE_DAYS[span])
    days = days_ending(log.today, RANGE_DAYS[span])
    zone = zone_of(user)
    start, _ = day_bounds(days[0], days[-1], zone)
    marks = [
        ScoreMark(
            day=local_day(r.created_at, zone),
            instrument=r.assessment_id.upper(),
            score=r.score,
            max_score=r.max_score,
            severity=r.severity,
        )
        for r in await wellbeing_service.responses_since(session, user, key, start)
    ]
    picture = MoodChart(title=_title(days), days=days, moods=log.daily_average(days), marks=marks)
    return await asyncio.to_thread(chart.render, picture, fmt)
