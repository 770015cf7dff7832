"""Today's prompt and suggestions: the documented rules, and the endpoint choosing from
the user's own rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from confidant.insights import rules
from confidant.insights.rules import Signals
from tests.helpers import Account, register

QUIET = Signals(
    mood_7d=6.0,
    mood_prev_7d=6.0,
    phq9=None,
    phq9_self_harm=False,
    gad7=None,
    who5=None,
    habit_rate=None,
    least_done_habit=None,
    days_since_session=1,
    sleep_minutes=None,
    logged_recently=True,
)


@pytest.mark.parametrize(
    ("changes", "theme"),
    [
        ({}, "steady"),
        ({"phq9_self_harm": True, "mood_7d": 9.0}, "support"),
        ({"mood_7d": 4.0, "mood_prev_7d": 4.0}, "low"),
        ({"mood_7d": 4.1, "mood_prev_7d": 4.1}, "steady"),
        ({"phq9": 10}, "low"),
        ({"phq9": 9}, "steady"),
        ({"who5": 50}, "low"),
        ({"who5": 52}, "steady"),
        ({"gad7": 10}, "anxious"),
        ({"gad7": 9}, "steady"),
        ({"mood_7d": 5.5, "mood_prev_7d": 7.0}, "dipping"),
        ({"mood_7d": 5.6, "mood_prev_7d": 7.0}, "steady"),
        ({"mood_7d": 7.0, "mood_prev_7d": 6.0}, "rising"),
        ({"mood_7d": None, "mood_prev_7d": None, "logged_recently": False}, "starting"),
    ],
)
def test_theme_edges(changes: dict[str, object], theme: str) -> None:
    assert rules.theme(replace(QUIET, **changes)) == theme  # type: ignore[arg-type]


def test_suggestions_follow_the_signals() -> None:
    tired = replace(QUIET, sleep_minutes=5 * 60 + 10, gad7=12)
    picked = rules.suggestions(tired, rules.theme(tired))
    assert [a.title for a in picked] == ["Wind-down routine", "Box breathing", "Three good things"]
    assert picked[0].reason == "you slept 5 h 10 min last night"
    lapsed = replace(QUIET, days_since_session=4, habit_rate=20, least_done_habit="Stretch")
    assert [a.title for a in rules.suggestions(lapsed, "steady")] == [
        "Mindfulness session",
        "Check in: Stretch",
        "Three good things",
    ]


def test_the_prompt_holds_for_the_day_and_comes_from_the_theme() -> None:
    day = date(2026, 11, 20)
    assert rules.prompt_for("low", "u1", day) == rules.prompt_for("low", "u1", day)
    assert rules.prompt_for("low", "u1", day) in rules.PROMPTS["low"]
    over_a_month = {rules.prompt_for("steady", "u1", day + timedelta(days=n)) for n in range(30)}
    assert over_a_month == set(rules.PROMPTS["steady"])


async def insight(client: httpx.AsyncClient, me: Account) -> dict[str, object]:
    response = await client.get("/api/insights/daily", headers=me.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_a_new_user_is_invited_to_start(client: httpx.AsyncClient) -> None:
    me = await register(client)
    body = await insight(client, me)
    assert body["dailyInsight"]["theme"] == "starting"  # type: ignore[index]
    assert body["dailyInsight"]["title"] == "Today's Prompt"  # type: ignore[index]
    titles = [a["title"] for a in body["suggestions"]["activities"]]  # type: ignore[index]
    assert titles[0] == "Mindfulness session"


async def test_low_mood_and_short_sleep_shape_the_day(client: httpx.AsyncClient) -> None:
    me = await register(client)
    for score in (3, 4, 2):
        await client.post("/api/mood", json={"score": score}, headers=me.headers)
    sleep = {
        "id": "night",
        "type": "sleep_minutes",
        "value": 290,
        "at": datetime.now(UTC).isoformat(),
    }
    await client.post("/api/sensors", json={"samples": [sleep]}, headers=me.headers)
    body = await insight(client, me)
    assert body["dailyInsight"]["theme"] == "low"  # type: ignore[index]
    assert body["dailyInsight"]["text"] in rules.PROMPTS["low"]  # type: ignore[index]
    titles = [a["title"] for a in body["suggestions"]["activities"]]  # type: ignore[index]
    assert titles == ["Wind-down routine", "Short walk outside", "Reach out to someone"]
    assert body["basis"]["moodThisWeek"] == 3.0  # type: ignore[index]
    assert body["basis"]["sleepMinutes"] == 290  # type: ignore[index]


async def test_phq9_item_9_turns_the_prompt_to_support(client: httpx.AsyncClient) -> None:
    me = await register(client)
    await client.post("/api/mood", json={"score": 9}, headers=me.headers)
    answers = [0] * 8 + [1]
    await client.post(
        "/api/assessments/phq-9/responses", json={"answers": answers}, headers=me.headers
    )
    body = await insight(client, me)
    assert body["dailyInsight"]["theme"] == "support"  # type: ignore[index]
    assert body["basis"]["phq9"] == 1  # type: ignore[index]
