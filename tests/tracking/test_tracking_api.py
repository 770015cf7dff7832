"""Mood entries, habits with check-ins, mindfulness sessions and the stats they earn,
through the API; bad input answers 4xx and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from confidant.runtime import Runtime
from confidant.tracking.models import HabitCheckIn, MindfulnessSession, MoodEntry
from tests.helpers import Account, assert_error, register, rows_of


async def stats_of(client: httpx.AsyncClient, account: Account) -> dict[str, object]:
    response = await client.get("/api/users/me/stats", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_mood_round_trip_and_encryption(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    created = await client.post(
        "/api/mood",
        json={"score": 7, "note": "slept well", "tags": ["sleep", "calm"]},
        headers=me.headers,
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert (entry["score"], entry["note"], entry["tags"]) == (7, "slept well", ["sleep", "calm"])
    patched = await client.patch(f"/api/mood/{entry['id']}", json={"score": 4}, headers=me.headers)
    assert (patched.json()["score"], patched.json()["note"]) == (4, "slept well")
    fetched = await client.get(f"/api/mood/{entry['id']}", headers=me.headers)
    assert fetched.json()["score"] == 4
    async with runtime.db.transaction() as session:
        row = await session.get(MoodEntry, entry["id"])
        assert row is not None
        assert b"slept well" not in row.data_ct
    assert (await client.delete(f"/api/mood/{entry['id']}", headers=me.headers)).status_code == 204
    assert_error(await client.get(f"/api/mood/{entry['id']}", headers=me.headers), 404)


async def test_mood_list_pages_and_filters_in_the_users_time_zone(
    client: httpx.AsyncClient,
) -> None:
    me = await register(client)
    await client.patch(
        "/api/users/me", json={"preferences": {"timeZone": "Pacific/Auckland"}}, headers=me.headers
    )
    zone = ZoneInfo("Pacific/Auckland")
    # 23:30 in Auckland is 10:30 UTC the same day; "from"/"to" must use Auckland's days.
    local = [datetime(2026, 3, d, 23, 30, tzinfo=zone) for d in (1, 2, 3)]
    for i, moment in enumerate(local):
        body = {"score": i + 1, "loggedAt": moment.astimezone(UTC).isoformat()}
        assert (await client.post("/api/mood", json=body, headers=me.headers)).status_code == 201
    page = (await client.get("/api/mood?limit=2", headers=me.headers)).json()
    assert [e["score"] for e in page["items"]] == [3, 2]
    rest = await client.get(f"/api/mood?limit=2&cursor={page['nextCursor']}", headers=me.headers)
    assert [e["score"] for e in rest.json()["items"]] == [1]
    assert rest.json()["nextCursor"] is None
    one_day = await client.get("/api/mood?from=2026-03-02&to=2026-03-02", headers=me.headers)
    assert [e["score"] for e in one_day.json()["items"]] == [2]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"score": 0},
        {"score": 11},
        {"score": 5.5},
        {"score": 5, "note": "x" * 2001},
        {"score": 5, "tags": ["<b>"]},
        {"score": 5, "tags": ["t"] * 21},
        {"score": 5, "loggedAt": "2026-01-01T10:00:00"},  # no offset
        {"score": 5, "loggedAt": "2999-01-01T10:00:00Z"},
        {"score": 5, "loggedAt": "1999-12-31T10:00:00Z"},
        {"score": 5, "mood": 5},
    ],
)
async def test_bad_mood_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, runtime: Runtime, body: dict[str, object]
) -> None:
    me = await register(client)
    assert_error(await client.post("/api/mood", json=body, headers=me.headers), 422)
    assert await rows_of(runtime.db, MoodEntry, me.user_id) == 0
    assert (await stats_of(client, me))["xp"] == 0


async def test_bad_mood_queries(client: httpx.AsyncClient) -> None:
    me = await register(client)
    for query in ("from=2026-02-02&to=2026-02-01", "cursor=%%%", "limit=0", "from=yesterday"):
        assert_error(await client.get(f"/api/mood?{query}", headers=me.headers), 422)
    assert_error(await client.patch("/api/mood/nope", json={"score": 3}, headers=me.headers), 404)


async def test_habit_check_ins_are_idempotent_and_bounded(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    habit = await client.post(
        "/api/habits", json={"name": "Walk", "targetPerWeek": 5}, headers=me.headers
    )
    assert habit.status_code == 201, habit.text
    habit_id = habit.json()["id"]
    assert (habit.json()["checkedToday"], habit.json()["thisWeek"]) == (False, 0)
    url = f"/api/habits/{habit_id}/check-ins"
    first = await client.post(url, headers=me.headers)
    again = await client.post(url, headers=me.headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["day"] == again.json()["day"]
    today = datetime.now(UTC).date()
    earlier = (today - timedelta(days=3)).isoformat()
    assert (await client.post(url, json={"day": earlier}, headers=me.headers)).status_code == 201
    for day in ((today + timedelta(days=1)).isoformat(), (today - timedelta(days=8)).isoformat()):
        assert_error(await client.post(url, json={"day": day}, headers=me.headers), 422)
    assert await rows_of(runtime.db, HabitCheckIn, me.user_id) == 2
    listed = (await client.get("/api/habits", headers=me.headers)).json()
    assert [(h["name"], h["checkedToday"], h["thisWeek"]) for h in listed] == [("Walk", True, 2)]
    days = (await client.get(url, headers=me.headers)).json()
    assert [d["day"] for d in days] == [today.isoformat(), earlier]
    assert (await client.delete(f"{url}/{earlier}", headers=me.headers)).status_code == 204
    assert_error(await client.delete(f"{url}/{earlier}", headers=me.headers), 404)


async def test_archived_habits_are_hidden_and_refuse_check_ins(client: httpx.AsyncClient) -> None:
    me = await register(client)
    habit_id = (await client.post("/api/habits", json={"name": "Read"}, headers=me.headers)).json()[
        "id"
    ]
    archived = await client.patch(
        f"/api/habits/{habit_id}", json={"archived": True}, headers=me.headers
    )
    assert archived.json()["archived"] is True
    assert (await client.get("/api/habits", headers=me.headers)).json() == []
    everything = (await client.get("/api/habits?archived=true", headers=me.headers)).json()
    assert [h["id"] for h in everything] == [habit_id]
    refused = await client.post(f"/api/habits/{habit_id}/check-ins", headers=me.headers)
    assert_error(refused, 409, "conflict")
    await client.patch(f"/api/habits/{habit_id}", json={"archived": False}, headers=me.headers)
    checked = await client.post(f"/api/habits/{habit_id}/check-ins", headers=me.headers)
    assert checked.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "x" * 101},
        {"name": "a", "targetPerWeek": 0},
        {"name": "a", "targetPerWeek": 8},
    ],
)
async def test_bad_habits_are_refused(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    me = await register(client)
    assert_error(await client.post("/api/habits", json=body, headers=me.headers), 422)
    assert (await client.get("/api/habits?archived=true", headers=me.headers)).json() == []


async def test_sessions_record_list_and_refuse_bad_input(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    for title, minutes in (("Body scan", 12), ("Breathing", 5.5)):
        recorded = await client.post(
            "/api/mindfulness/sessions",
            json={"title": title, "durationMin": minutes},
            headers=me.headers,
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["durationMin"] == minutes
    listed = (await client.get("/api/mindfulness/sessions", headers=me.headers)).json()
    assert [s["title"] for s in listed["items"]] == ["Breathing", "Body scan"]
    for body in (
        {"title": "x"},
        {"title": "x", "durationMin": 0},
        {"title": "x", "durationMin": 601},
    ):
        assert_error(
            await client.post("/api/mindfulness/sessions", json=body, headers=me.headers), 422
        )
    assert await rows_of(runtime.db, MindfulnessSession, me.user_id) == 2
    async with runtime.db.transaction() as session:
        row = await session.get(MindfulnessSession, listed["items"][0]["id"])
        assert row is not None
        assert b"Breathing" not in row.title_ct


async def test_stats_are_earned_not_given(client: httpx.AsyncClient) -> None:
    me = await register(client)
    assert await stats_of(client, me) == {
        "streakDays": 0,
        "xp": 0,
        "level": 1,
        "nextLevelXp": 100,
        "lastActiveOn": None,
    }
    now = datetime.now(UTC)
    yesterday = (now - timedelta(days=1)).isoformat()
    await client.post("/api/mood", json={"score": 6, "loggedAt": yesterday}, headers=me.headers)
    await client.post("/api/mood", json={"score": 6}, headers=me.headers)
    await client.post(
        "/api/mindfulness/sessions", json={"title": "Sit", "durationMin": 10}, headers=me.headers
    )
    mine = await stats_of(client, me)
    assert (mine["streakDays"], mine["xp"]) == (2, 10 + 10 + 15)
    body = (await client.get("/api/users/me", headers=me.headers)).json()
    assert body["stats"] == {"streakDays": 2, "level": 1, "xp": 35}
    refused = await client.patch("/api/users/me", json={"stats": {"xp": 9999}}, headers=me.headers)
    assert_error(refused, 422)
    assert (await stats_of(client, me))["xp"] == 35


async def test_an_assessment_and_a_diary_entry_earn_xp(client: httpx.AsyncClient) -> None:
    me = await register(client)
    taken = await client.post(
        "/api/assessments/gad-7/responses", json={"answers": [0] * 7}, headers=me.headers
    )
    written = await client.post(
        "/api/diary", json={"date": "2026-01-01", "text": "hello"}, headers=me.headers
    )
    assert (taken.status_code, written.status_code) == (201, 201)
    mine = await stats_of(client, me)
    assert (mine["xp"], mine["streakDays"]) == (40, 1)


async def test_deleting_the_activity_takes_its_xp_back(client: httpx.AsyncClient) -> None:
    me = await register(client)
    habit_id = (await client.post("/api/habits", json={"name": "Run"}, headers=me.headers)).json()[
        "id"
    ]
    await client.post(f"/api/habits/{habit_id}/check-ins", headers=me.headers)
    assert (await stats_of(client, me))["xp"] == 15
    await client.delete(f"/api/habits/{habit_id}", headers=me.headers)
    assert await stats_of(client, me) == {
        "streakDays": 0,
        "xp": 0,
        "level": 1,
        "nextLevelXp": 100,
        "lastActiveOn": None,
    }
