"""Streak, XP and level: derived from what the user did, never taken from the client.

The rules (also in the README):
- An *active day* is a day, in the user's own time zone, with at least one mood entry,
  habit check-in, finished mindfulness session, questionnaire or diary entry.
- *Streak*: the number of consecutive active days ending today; when nothing is logged
  yet today, the run ending yesterday still counts (it is not lost until the day is).
- *XP*, counted per day so that repeating one thing cannot farm points:
  mood entry 10 (at most 3 a day), habit check-in 15 (one per habit a day by design),
  mindfulness session 5 + 1 per full minute up to 35 (at most 5 a day),
  questionnaire 20 (at most 3 a day), diary entry 20 (at most 3 a day).
- *Level* L is reached at 100 x (L - 1)^2 XP: level 2 at 100, 3 at 400, 4 at 900, ...
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum


class Kind(Enum):
    MOOD = "mood"
    CHECK_IN = "check_in"
    SESSION = "session"
    ASSESSMENT = "assessment"
    DIARY = "diary"


XP_PER_ITEM = {
    Kind.MOOD: 10,
    Kind.CHECK_IN: 15,
    Kind.ASSESSMENT: 20,
    Kind.DIARY: 20,
}
DAILY_CAP = {Kind.MOOD: 3, Kind.SESSION: 5, Kind.ASSESSMENT: 3, Kind.DIARY: 3}
SESSION_BASE_XP = 5
SESSION_MAX_XP = 35
XP_PER_LEVEL_STEP = 100


@dataclass(frozen=True)
class Activity:
    kind: Kind
    day: date
    minutes: int = 0  # sessions only


@dataclass(frozen=True)
class Stats:
    streak_days: int
    xp: int
    level: int
    last_active_on: date | None


def session_xp(minutes: int) -> int:
    return min(SESSION_BASE_XP + max(minutes, 0), SESSION_MAX_XP)


def xp_of(activities: Iterable[Activity]) -> int:
    counted: Counter[tuple[Kind, date]] = Counter()
    total = 0
    for activity in sorted(activities, key=lambda a: (a.day, -a.minutes)):
        slot = (activity.kind, activity.day)
        cap = DAILY_CAP.get(activity.kind)
        if cap is not None and counted[slot] >= cap:
            continue
        counted[slot] += 1
        if activity.kind is Kind.SESSION:
            total += session_xp(activity.minutes)
        else:
            total += XP_PER_ITEM[activity.kind]
    return total


def level_for(xp: int) -> int:
    return 1 + math.isqrt(max(xp, 0) // XP_PER_LEVEL_STEP)


def xp_for_level(level: int) -> int:
    return XP_PER_LEVEL_STEP * (level - 1) ** 2


def streak_ending(active_days: set[date], today: date) -> int:
    """Consecutive active days ending today, or ending yesterday when today is still empty."""
    day = today if today in active_days else today - timedelta(days=1)
    length = 0
    while day in active_days:
        length += 1
        day -= timedelta(days=1)
    return length


def derive(activities: list[Activity], today: date) -> Stats:
    days = {a.day for a in activities}
    xp = xp_of(activities)
    return Stats(
        streak_days=streak_ending(days, today),
        xp=xp,
        level=level_for(xp),
        last_active_on=max((d for d in days if d <= today), default=None),
    )


def visible_streak(streak_days: int, last_active_on: date | None, today: date) -> int:
    """A stored streak is only still running if its last active day is today or yesterday."""
    if last_active_on is None or last_active_on < today - timedelta(days=1):
        return 0
    return streak_days
