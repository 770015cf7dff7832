"""Gathers the signals for today's insight from the user's own rows (see `rules`)."""

from __future__ import annotations

from datetime import date, timedelta
from statistics import fmean
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.analytics.service import MoodLog, habit_rate, mood_log
from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.insights import rules
from confidant.insights.schemas import (
    ActivityOut,
    BasisOut,
    DailyInsightOut,
    InsightsOut,
    SuggestionsOut,
)
from confidant.kit.clock import day_bounds, days_ending, local_day, today_for, zone_of
from confidant.sensors import service as sensors_service
from confidant.tracking import habits as habits_service
from confidant.tracking.models import Habit, MindfulnessSession
from confidant.wellbeing import instruments
from confidant.wellbeing import service as wellbeing_service
from confidant.wellbeing.schemas import ResponseOut

if TYPE_CHECKING:
    from confidant.runtime import Runtime

LOOKBACK_DAYS = 14
PROMPT_TITLE = "Today's Prompt"


def _previous_week_mood(log: MoodLog) -> float | None:
    last, first = log.today - timedelta(days=7), log.today - timedelta(days=13)
    scores = [score for day, score in log.scores if first <= day <= last]
    return round(fmean(scores), 1) if scores else None


def _latest(responses: list[ResponseOut], assessment_id: str) -> ResponseOut | None:
    return next((r for r in reversed(responses) if r.assessment_id == assessment_id), None)


async def _days_since_session(session: AsyncSession, user: User, today: date) -> int | None:
    last = await session.scalar(
        select(func.max(MindfulnessSession.completed_at)).where(
            MindfulnessSession.user_id == user.id
        )
    )
    return None if last is None else (today - local_day(last, zone_of(user))).days


async def _habits(
    session: AsyncSession, user: User, key: DataKey, week: list[date]
) -> tuple[int | None, str | None]:
    """This week's habit rate and the active habit checked in least."""
    habits = [h for h in await habits_service.habits_of(session, user) if h.archived_at is None]
    checked = await habits_service.check_in_days(session, user, week[0], week[-1])
    rate = habit_rate(habits, checked, week, user)

    def done(habit: Habit) -> int:
        return len(checked.get(habit.id, set()))

    least = min(habits, key=done, default=None)
    return rate, habits_service.name_of(least, key) if least else None


async def signals(session: AsyncSession, user: User, key: DataKey) -> rules.Signals:
    log = await mood_log(session, user, key, LOOKBACK_DAYS)
    today = log.today
    start, _ = day_bounds(today - timedelta(days=LOOKBACK_DAYS - 1), today, zone_of(user))
    responses = await wellbeing_service.responses_since(session, user, key, start)
    phq9 = _latest(responses, instruments.PHQ9.id)
    gad7 = _latest(responses, instruments.GAD7.id)
    who5 = _latest(responses, instruments.WHO5.id)
    rate, least_done = await _habits(session, user, key, days_ending(today, 7))
    (last_night,) = sensors_service.summarise(
        await sensors_service.samples_between(session, user, today, today), key, user, [today]
    )
    return rules.Signals(
        mood_7d=log.average_over(7),
        mood_prev_7d=_previous_week_mood(log),
        phq9=phq9.score if phq9 else None,
        phq9_self_harm=any(
            r.answers[instruments.PHQ9_SELF_HARM_ITEM] > 0
            for r in responses
            if r.assessment_id == instruments.PHQ9.id
        ),
        gad7=gad7.score if gad7 else None,
        who5=who5.score if who5 else None,
        habit_rate=rate,
        least_done_habit=least_done,
        days_since_session=await _days_since_session(session, user, today),
        sleep_minutes=last_night.sleep_minutes,
        logged_recently=bool(log.scores or responses or rate),
    )


async def daily(rt: Runtime, session: AsyncSession, user: User) -> InsightsOut:
    key = await rt.keystore.user_key(user.id)
    found = await signals(session, user, key)
    today = today_for(user)
    theme = rules.theme(found)
    return InsightsOut(
        date=today,
        daily_insight=DailyInsightOut(
            title=PROMPT_TITLE, text=rules.prompt_for(theme, user.id, today), theme=theme
        ),
        suggestions=SuggestionsOut(
            activities=[
                ActivityOut(title=a.title, details=a.details, reason=a.reason)
                for a in rules.suggestions(found, theme)
            ]
        ),
        basis=BasisOut(
            mood_this_week=found.mood_7d,
            mood_last_week=found.mood_prev_7d,
            phq9=found.phq9,
            gad7=found.gad7,
            who5=found.who5,
            habit_rate=found.habit_rate,
            days_since_session=found.days_since_session,
            sleep_minutes=found.sleep_minutes,
        ),
    )
