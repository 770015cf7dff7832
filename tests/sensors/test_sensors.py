"""Wearable batches: stored once per sample id, encrypted, summarised per local day, and
the summary reaches the companion's prompt; bad batches store nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from confidant.auth.models import User
from confidant.companion.service import Ask, prepare_reply
from confidant.runtime import Runtime
from confidant.sensors.models import SensorSample
from tests.helpers import assert_error, register, rows_of

BERLIN = ZoneInfo("Europe/Berlin")


def sample(sample_id: str, kind: str, value: float, at: datetime) -> dict[str, object]:
    return {"id": sample_id, "type": kind, "value": value, "at": at.isoformat()}


def today_at(hour: int, minute: int = 0, days_ago: int = 0) -> datetime:
    day = datetime.now(BERLIN).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


async def berliner(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    me = await register(client)
    await client.patch(
        "/api/users/me", json={"preferences": {"timeZone": "Europe/Berlin"}}, headers=me.headers
    )
    return me.user_id, me.headers


async def test_resending_a_batch_stores_nothing_twice(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user_id, headers = await berliner(client)
    # Early hours: the clock may be just past midnight; use yesterday's afternoon.
    batch = [
        sample("hr-1", "heart_rate", 61, today_at(14, days_ago=1)),
        sample("hr-2", "heart_rate", 75, today_at(15, days_ago=1)),
        sample("st-1", "steps", 4000, today_at(16, days_ago=1)),
    ]
    first = await client.post("/api/sensors", json={"samples": batch}, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 3, "stored": 3, "duplicates": 0}
    more = [*batch, sample("st-2", "steps", 1200, today_at(17, days_ago=1)), batch[0]]
    again = await client.post("/api/sensors", json={"samples": more}, headers=headers)
    assert again.json() == {"received": 5, "stored": 1, "duplicates": 4}
    assert await rows_of(runtime.db, SensorSample, user_id) == 4
    async with runtime.db.transaction() as session:
        stored = await session.scalar(
            select(SensorSample.value_ct).where(
                SensorSample.user_id == user_id, SensorSample.client_id == "st-1"
            )
        )
    assert stored is not None
    assert b"4000" not in stored


async def test_daily_summaries_use_the_users_days(client: httpx.AsyncClient) -> None:
    _, headers = await berliner(client)
    # 00:30 in Berlin belongs to that Berlin day although it is the day before in UTC.
    day = (datetime.now(BERLIN) - timedelta(days=3)).date()
    just_after_midnight = datetime.combine(day, time(0, 30), tzinfo=BERLIN)
    batch = [
        sample("a", "steps", 300, just_after_midnight),
        sample("b", "steps", 700, just_after_midnight + timedelta(hours=10)),
        sample("c", "sleep_minutes", 320, just_after_midnight + timedelta(hours=6)),
        sample("d", "heart_rate", 50, just_after_midnight + timedelta(hours=1)),
        sample("e", "heart_rate", 90, just_after_midnight + timedelta(hours=12)),
    ]
    assert (await client.post("/api/sensors", json={"samples": batch}, headers=headers)).is_success
    query = f"from={(day - timedelta(days=1)).isoformat()}&to={day.isoformat()}"
    summaries = (await client.get(f"/api/sensors/daily?{query}", headers=headers)).json()
    assert summaries[0] == {
        "day": (day - timedelta(days=1)).isoformat(),
        "steps": None,
        "sleepMinutes": None,
        "heartRate": None,
    }
    assert summaries[1] == {
        "day": day.isoformat(),
        "steps": 1000,
        "sleepMinutes": 320,
        "heartRate": {"average": 70.0, "min": 50.0, "max": 90.0, "samples": 2},
    }


@pytest.mark.parametrize(
    "samples",
    [
        [],
        [{"id": "x", "type": "heart_rate", "value": 70}],
        [{"id": "x", "type": "blood_sugar", "value": 5, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x", "type": "heart_rate", "value": 400, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x", "type": "heart_rate", "value": 10, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x", "type": "steps", "value": -1, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x", "type": "steps", "value": 10.5, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x", "type": "sleep_minutes", "value": 1441, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x", "type": "steps", "value": 10, "at": "2026-01-01T00:00:00"}],
        [{"id": "x", "type": "steps", "value": 10, "at": "2999-01-01T00:00:00Z"}],
        [{"id": "", "type": "steps", "value": 10, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "a b", "type": "steps", "value": 10, "at": "2026-01-01T00:00:00Z"}],
        [{"id": "x" * 129, "type": "steps", "value": 10, "at": "2026-01-01T00:00:00Z"}],
    ],
)
async def test_a_bad_sample_refuses_the_whole_batch(
    client: httpx.AsyncClient, runtime: Runtime, samples: list[dict[str, object]]
) -> None:
    me = await register(client)
    good = {"id": "good", "type": "steps", "value": 10, "at": "2026-01-01T00:00:00Z"}
    response = await client.post(
        "/api/sensors",
        json={"samples": [good, *samples]} if samples else {"samples": []},
        headers=me.headers,
    )
    assert_error(response, 422)
    assert await rows_of(runtime.db, SensorSample, me.user_id) == 0


async def test_oversized_batches_are_refused(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    limit = runtime.settings.sensors_max_batch
    at = "2026-01-01T00:00:00Z"
    batch = [{"id": f"s{n}", "type": "steps", "value": 1, "at": at} for n in range(limit + 1)]
    response = await client.post("/api/sensors", json={"samples": batch}, headers=me.headers)
    assert response.status_code == 413
    assert await rows_of(runtime.db, SensorSample, me.user_id) == 0


async def test_bad_summary_ranges(client: httpx.AsyncClient) -> None:
    me = await register(client)
    for query in ("from=2026-02-02&to=2026-02-01", "from=2024-01-01&to=2026-01-01", "to=soon"):
        assert_error(await client.get(f"/api/sensors/daily?{query}", headers=me.headers), 422)


async def test_the_companion_hears_about_last_night(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    user_id, headers = await berliner(client)
    now = datetime.now(UTC)
    batch = [
        sample("sleep", "sleep_minutes", 310, now - timedelta(minutes=1)),
        sample("walk", "steps", 8432, now - timedelta(days=1)),
    ]
    assert (await client.post("/api/sensors", json={"samples": batch}, headers=headers)).is_success
    chat = (await client.post("/api/chats", json={"title": "t"}, headers=headers)).json()
    async with runtime.db.transaction() as session:
        user = await session.get(User, user_id)
        assert user is not None
    turn = await prepare_reply(runtime, Ask(user, "how did I sleep?", "chat", chat["id"]), None)
    system = turn.context[0]["content"]
    assert "slept 5 h 10 min last night" in system
    assert "8,432 steps yesterday" in system


async def test_no_wearable_no_wearable_line(client: httpx.AsyncClient, runtime: Runtime) -> None:
    user_id, headers = await berliner(client)
    chat = (await client.post("/api/chats", json={"title": "t"}, headers=headers)).json()
    async with runtime.db.transaction() as session:
        user = await session.get(User, user_id)
        assert user is not None
    turn = await prepare_reply(runtime, Ask(user, "hello", "chat", chat["id"]), None)
    assert "wearable" not in turn.context[0]["content"]
