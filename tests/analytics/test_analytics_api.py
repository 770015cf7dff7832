"""GET /api/analytics and the mood chart, against figures worked out by hand, in the
user's own time zone."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from PIL import Image

from tests.helpers import Account, assert_error, register

ZONE = ZoneInfo("America/New_York")
SVG = "{http://www.w3.org/2000/svg}"


async def new_yorker(client: httpx.AsyncClient) -> Account:
    me = await register(client)
    await client.patch(
        "/api/users/me", json={"preferences": {"timeZone": ZONE.key}}, headers=me.headers
    )
    return me


async def mood(client: httpx.AsyncClient, me: Account, score: int, days_ago: int = 0) -> None:
    at = datetime.now(ZONE) - timedelta(days=days_ago)
    body = {"score": score, "loggedAt": at.isoformat()}
    assert (await client.post("/api/mood", json=body, headers=me.headers)).status_code == 201


async def habit(client: httpx.AsyncClient, me: Account, target: int, *days_ago: int) -> None:
    made = await client.post(
        "/api/habits", json={"name": f"h{target}", "targetPerWeek": target}, headers=me.headers
    )
    today = datetime.now(ZONE).date()
    for n in days_ago:
        day = (today - timedelta(days=n)).isoformat()
        checked = await client.post(
            f"/api/habits/{made.json()['id']}/check-ins", json={"day": day}, headers=me.headers
        )
        assert checked.status_code == 201, checked.text


async def test_week_figures(client: httpx.AsyncClient) -> None:
    me = await new_yorker(client)
    await mood(client, me, 8)
    await mood(client, me, 6)
    await mood(client, me, 4, days_ago=1)
    await mood(client, me, 2, days_ago=20)  # in the month, not in the week
    await habit(client, me, 7, 0, 2)  # counts from 2 days ago: 2 of 3 days
    await habit(client, me, 3, 0)  # counts from today: 1 of 1
    body = (await client.get("/api/analytics?range=week", headers=me.headers)).json()
    today = datetime.now(ZONE).date()
    trend = body["charts"]["moodTrend"]
    assert trend["days"] == [(today - timedelta(days=6 - n)).isoformat() for n in range(7)]
    assert trend["labels"][-1] == today.strftime("%a")
    assert trend["values"] == [None] * 5 + [4.0, 7.0]
    assert body["charts"]["completion"] == {
        "value": 30,
        "label": "Weekly Goal",
        "done": 3,
        "goal": 10,
    }
    assert body["progress"]["week"] == {"avgMood": 6.0, "habitRate": 75, "daysStreak": 3}
    assert body["progress"]["month"] == {"avgMood": 5.0, "habitRate": 75}
    assert body["timeZone"] == ZONE.key


async def test_month_range_and_empty_account(client: httpx.AsyncClient) -> None:
    me = await register(client)
    body = (await client.get("/api/analytics?range=month", headers=me.headers)).json()
    assert len(body["charts"]["moodTrend"]["values"]) == 30
    assert set(body["charts"]["moodTrend"]["values"]) == {None}
    assert body["progress"] == {
        "week": {"avgMood": None, "habitRate": None, "daysStreak": 0},
        "month": {"avgMood": None, "habitRate": None},
    }
    assert body["charts"]["completion"]["value"] == 0


@pytest.mark.parametrize("query", ["range=year", "range=", "range=WEEK"])
async def test_bad_ranges(client: httpx.AsyncClient, query: str) -> None:
    me = await register(client)
    assert_error(await client.get(f"/api/analytics?{query}", headers=me.headers), 422)
    assert_error(await client.get(f"/api/analytics/mood.svg?{query}", headers=me.headers), 422)


async def test_the_svg_shows_moods_and_marks_the_scores(client: httpx.AsyncClient) -> None:
    me = await new_yorker(client)
    await mood(client, me, 3)
    await client.post(
        "/api/assessments/phq-9/responses", json={"answers": [2] * 6 + [0] * 3}, headers=me.headers
    )
    response = await client.get("/api/analytics/mood.svg", headers=me.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "private, no-store"
    root = ET.fromstring(response.content)
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert desc.text is not None
    assert "Average mood 3.0" in desc.text
    assert "PHQ-9 12 of 27 (moderate)" in desc.text


async def test_the_png(client: httpx.AsyncClient) -> None:
    me = await register(client)
    await mood(client, me, 9)
    response = await client.get("/api/analytics/mood.png?range=month", headers=me.headers)
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.size == (800, 400)


async def test_other_formats_and_strangers_are_refused(client: httpx.AsyncClient) -> None:
    me = await register(client)
    assert_error(await client.get("/api/analytics/mood.gif", headers=me.headers), 422)
    assert_error(await client.get("/api/analytics/mood.svg"), 401)
    assert_error(await client.get("/api/analytics"), 401)
