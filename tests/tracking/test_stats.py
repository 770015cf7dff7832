"""The documented streak, XP and level rules, computed by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from confidant.tracking import stats
from confidant.tracking.stats import Activity, Kind

TODAY = date(2026, 11, 20)


def day(n: int) -> date:
    return TODAY - timedelta(days=n)


@pytest.mark.parametrize(
    ("active", "expected"),
    [
        (set(), 0),
        ({0}, 1),
        ({0, 1, 2}, 3),
        ({1, 2}, 2),  # nothing yet today: the run ending yesterday still counts
        ({2, 3}, 0),  # yesterday was missed: the run is over
        ({0, 1, 3, 4, 5}, 2),  # a gap ends the count
    ],
)
def test_streak(active: set[int], expected: int) -> None:
    assert stats.streak_ending({day(n) for n in active}, TODAY) == expected


def test_xp_per_kind_and_daily_caps() -> None:
    activities = (
        [Activity(Kind.MOOD, day(0))] * 5  # 3 count: 30
        + [Activity(Kind.CHECK_IN, day(0))] * 2  # 30
        + [Activity(Kind.ASSESSMENT, day(0))] * 4  # 3 count: 60
        + [Activity(Kind.DIARY, day(1))] * 2  # 40
        + [Activity(Kind.SESSION, day(0), minutes=m) for m in (0, 10, 60)]  # 5 + 15 + 35
        + [Activity(Kind.MOOD, day(1))]  # another day, its own cap: 10
    )
    assert stats.xp_of(activities) == 30 + 30 + 60 + 40 + 55 + 10


def test_session_cap_keeps_the_longest() -> None:
    sessions = [Activity(Kind.SESSION, day(0), minutes=m) for m in (1, 1, 1, 1, 1, 30)]
    assert stats.xp_of(sessions) == 35 + 4 * 6


@pytest.mark.parametrize(
    ("xp", "level"), [(0, 1), (99, 1), (100, 2), (399, 2), (400, 3), (900, 4), (1240, 4)]
)
def test_level_thresholds(xp: int, level: int) -> None:
    assert stats.level_for(xp) == level
    assert stats.xp_for_level(level) <= xp < stats.xp_for_level(level + 1)


def test_stored_streak_lapses_after_a_missed_day() -> None:
    assert stats.visible_streak(5, day(0), TODAY) == 5
    assert stats.visible_streak(5, day(1), TODAY) == 5
    assert stats.visible_streak(5, day(2), TODAY) == 0
    assert stats.visible_streak(0, None, TODAY) == 0


def test_derive() -> None:
    derived = stats.derive([Activity(Kind.MOOD, day(0)), Activity(Kind.CHECK_IN, day(1))], TODAY)
    assert derived == stats.Stats(streak_days=2, xp=25, level=1, last_active_on=TODAY)
