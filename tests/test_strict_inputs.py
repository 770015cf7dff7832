"""Request bodies are strict about JSON types (no "5" or true for an integer, no 5 for a
string), and dates and times come only as ISO 8601 text, in bodies, query strings and
paths: anything else answers 422 in the error shape and stores nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, BeforeValidator

from confidant.chats.models import Chat
from confidant.diary.models import DiaryEntry
from confidant.kit.schemas import IsoDate, IsoDateTime, PastMoment, StrictInput
from confidant.runtime import Runtime
from confidant.sensors.models import SensorSample
from confidant.tracking.models import Habit, MindfulnessSession, MoodEntry
from confidant.wellbeing.models import AssessmentResponse
from tests.helpers import assert_error, register, rows_of

NOW = "2024-05-01T08:30:00+02:00"

# (path, body, the table that must stay empty, the field the error names)
BAD_BODIES: list[tuple[str, dict[str, Any], Any, str]] = [
    ("/api/mood", {"score": "5"}, MoodEntry, "body.score"),
    ("/api/mood", {"score": True}, MoodEntry, "body.score"),
    ("/api/mood", {"score": 5.0}, MoodEntry, "body.score"),
    ("/api/mood", {"score": 5, "note": 7}, MoodEntry, "body.note"),
    ("/api/mood", {"score": 5, "tags": [1]}, MoodEntry, "body.tags.0"),
    ("/api/mood", {"score": 5, "loggedAt": 1714545000}, MoodEntry, "body.loggedAt"),
    ("/api/mood", {"score": 5, "loggedAt": "1714545000"}, MoodEntry, "body.loggedAt"),
    ("/api/mood", {"score": 5, "loggedAt": "2024-05-01"}, MoodEntry, "body.loggedAt"),
    ("/api/habits", {"name": "Walk", "targetPerWeek": "3"}, Habit, "body.targetPerWeek"),
    ("/api/habits", {"name": 12}, Habit, "body.name"),
    ("/api/diary", {"date": 0, "text": "x"}, DiaryEntry, "body.date"),
    ("/api/diary", {"date": 20240501, "text": "x"}, DiaryEntry, "body.date"),
    ("/api/diary", {"date": "20240501", "text": "x"}, DiaryEntry, "body.date"),
    ("/api/diary", {"date": "2024-05-01T00:00:00", "text": "x"}, DiaryEntry, "body.date"),
    ("/api/diary", {"date": "2024-05-01", "text": "x", "mood": "5"}, DiaryEntry, "body.mood"),
    (
        "/api/mindfulness/sessions",
        {"title": "Breathe", "durationMin": "10"},
        MindfulnessSession,
        "body.durationMin",
    ),
    (
        "/api/mindfulness/sessions",
        {"title": "Breathe", "durationMin": True},
        MindfulnessSession,
        "body.durationMin",
    ),
    ("/api/chats", {"title": 5}, Chat, "body.title"),
    ("/api/chats", {"resume": "true"}, Chat, "body.resume"),
    ("/api/chats", {"resume": 1}, Chat, "body.resume"),
    (
        "/api/sensors",
        {"samples": [{"id": "a", "type": "steps", "value": "60", "at": NOW}]},
        SensorSample,
        "body.samples.0.value",
    ),
    (
        "/api/sensors",
        {"samples": [{"id": 1, "type": "steps", "value": 60, "at": NOW}]},
        SensorSample,
        "body.samples.0.id",
    ),
    (
        "/api/sensors",
        {"samples": [{"id": "a", "type": "steps", "value": 60, "at": 1714545000}]},
        SensorSample,
        "body.samples.0.at",
    ),
    (
        "/api/assessments/who5/responses",
        {"answers": ["3", "3", "3", "3", "3"]},
        AssessmentResponse,
        "body.answers.0",
    ),
    (
        "/api/assessments/who5/responses",
        {"answers": [True, 3, 3, 3, 3]},
        AssessmentResponse,
        "body.answers.0",
    ),
]


@pytest.mark.parametrize(("path", "body", "table", "field"), BAD_BODIES)
async def test_wrongly_typed_bodies_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    runtime: Runtime,
    path: str,
    body: dict[str, Any],
    table: Any,
    field: str,
) -> None:
    account = await register(client)
    response = await client.post(path, json=body, headers=account.headers)
    error = assert_error(response, 422, "validation_error")
    assert field in {detail["field"] for detail in error["details"]}, error
    assert await rows_of(runtime.db, table, account.user_id) == 0


async def test_iso_text_and_whole_numbers_for_floats_are_still_accepted(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    mood = await client.post(
        "/api/mood", json={"score": 5, "loggedAt": NOW}, headers=account.headers
    )
    assert mood.status_code == 201, mood.text
    assert mood.json()["loggedAt"].startswith("2024-05-01T06:30:00")
    entry = await client.post(
        "/api/diary", json={"date": "2024-05-01", "text": "A day"}, headers=account.headers
    )
    assert entry.status_code == 201, entry.text
    session = await client.post(
        "/api/mindfulness/sessions",
        json={"title": "Breathe", "durationMin": 10, "completedAt": "2024-05-01T06:30:00Z"},
        headers=account.headers,
    )
    assert session.status_code == 201, session.text
    assert session.json()["durationMin"] == 10.0
    card = await client.patch(
        "/api/users/me/medical-card", json={"heightCm": 180}, headers=account.headers
    )
    assert card.status_code == 200, card.text
    assert card.json()["heightCm"] == 180.0


async def test_updates_with_wrong_types_change_nothing(client: httpx.AsyncClient) -> None:
    account = await register(client)
    created = await client.post(
        "/api/mood", json={"score": 4, "note": "kept"}, headers=account.headers
    )
    entry = f"/api/mood/{created.json()['id']}"
    for change in ({"score": "9"}, {"score": False}, {"note": 1}, {"loggedAt": 0}):
        assert_error(await client.patch(entry, json=change, headers=account.headers), 422)
    kept = (await client.get(entry, headers=account.headers)).json()
    assert (kept["score"], kept["note"]) == (4, "kept")

    before = (await client.get("/api/users/me", headers=account.headers)).json()
    changes: list[dict[str, Any]] = [
        {"preferences": {"notifications": "false"}},
        {"preferences": {"rememberChats": 0}},
        {"name": 42},
        {"medicalCard": {"heightCm": "180"}},
        {"medicalCard": {"heightCm": True}},
        {"medicalCard": {"emergencyContacts": [{"name": "A", "phone": 5550100}]}},
    ]
    for change in changes:
        response = await client.patch("/api/users/me", json=change, headers=account.headers)
        assert_error(response, 422, "validation_error")
    after = (await client.get("/api/users/me", headers=account.headers)).json()
    assert after == before


QUERY_DATES = [
    "/api/search?q=walk&to=0",
    "/api/search?q=walk&from=1714545000",
    "/api/diary?to=0",
    "/api/diary?from=20240501",
    "/api/mood?from=0",
    "/api/mood?to=2024-05-01T00:00:00",
    "/api/sensors/daily?from=0",
]


@pytest.mark.parametrize("url", QUERY_DATES)
async def test_query_dates_are_iso_days_only(client: httpx.AsyncClient, url: str) -> None:
    account = await register(client)
    error = assert_error(await client.get(url, headers=account.headers), 422, "validation_error")
    assert error["details"][0]["field"] in ("query.from", "query.to"), error


async def test_path_and_check_in_days_are_iso_days_only(client: httpx.AsyncClient) -> None:
    account = await register(client)
    habit = await client.post("/api/habits", json={"name": "Walk"}, headers=account.headers)
    check_ins = f"/api/habits/{habit.json()['id']}/check-ins"
    assert_error(await client.get(f"{check_ins}?from=0", headers=account.headers), 422)
    assert_error(await client.delete(f"{check_ins}/0", headers=account.headers), 422)
    assert_error(await client.post(check_ins, json={"day": 0}, headers=account.headers), 422)
    listed = await client.get(check_ins, headers=account.headers)
    assert listed.json() == []
    assert (await client.get(f"{check_ins}?from=2024-05-01", headers=account.headers)).is_success


async def test_openai_and_query_api_bodies_are_strict(client: httpx.AsyncClient) -> None:
    account = await register(client)
    key = await client.post("/api/auth/api-keys", json={"name": "k"}, headers=account.headers)
    headers = {"Authorization": f"Bearer {key.json()['key']}"}
    message = {"role": "user", "content": "hi"}
    for body in (
        {"model": "m", "messages": [message], "stream": "false"},
        {"model": "m", "messages": [message], "temperature": "0.5"},
        {"model": "m", "messages": [message], "max_tokens": "8"},
        {"model": "m", "messages": [{"role": "user", "content": 5}]},
    ):
        response = await client.post("/v1/chat/completions", json=body, headers=headers)
        assert_error(response, 422, "validation_error")
    asked = await client.post("/api/v1/query", json={"query": 5}, headers=account.headers)
    assert_error(asked, 422, "validation_error")


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in getattr(annotation, "__args__", ()) for model in _models_of(arg)]


def _request_models(app: FastAPI) -> set[type[BaseModel]]:
    """Every model a JSON body is validated with, nested ones included (form fields are
    text by nature)."""
    routes = [context.original_route for context in iter_route_contexts(app.routes)]
    bodies = [
        route.body_field.field_info
        for route in routes
        if isinstance(route, APIRoute) and route.body_field is not None
    ]
    pending = [
        model
        for body in bodies
        if getattr(body, "media_type", None) == "application/json"
        for model in _models_of(body.annotation)
    ]
    seen: set[type[BaseModel]] = set()
    while pending:
        model = pending.pop()
        if model not in seen:
            seen.add(model)
            for field in model.model_fields.values():
                pending.extend(_models_of(field.annotation))
    return seen


def test_every_request_model_is_strict_and_takes_dates_as_iso_text(app: FastAPI) -> None:
    """A guard for models to come: each derives from StrictInput (ApiInput does), and each
    date or datetime field is IsoDate, IsoDateTime or PastMoment."""
    models = _request_models(app)
    assert len(models) > 20
    lax = {m.__name__ for m in models if not issubclass(m, StrictInput)}
    assert not lax, lax
    iso_checks = {_iso_check(IsoDate), _iso_check(IsoDateTime), _iso_check(PastMoment)}
    for model in models:
        for name, field in model.model_fields.items():
            for arg in (field.annotation, *getattr(field.annotation, "__args__", ())):
                if arg in (dt.date, dt.datetime):  # bare: the ISO check sits in metadata
                    checks = {_iso_check(item) for item in field.metadata}
                    assert checks & iso_checks, f"{model.__name__}.{name} is a lax date"


def _iso_check(annotated: Any) -> Any:
    """The function of an ISO type's BeforeValidator (or of a BeforeValidator itself)."""
    for item in (annotated, *getattr(annotated, "__metadata__", ())):
        if isinstance(item, BeforeValidator):
            return item.func
    return None


async def test_the_first_day_there_is_is_a_day_like_any_other(client: httpx.AsyncClient) -> None:
    """The default ranges (the 30 days of check-ins, the 7 of sensor summaries) reached
    before year 1 for a `to` in its first month: an OverflowError, answered 500."""
    account = await register(client)
    habit = await client.post("/api/habits", json={"name": "Walk"}, headers=account.headers)
    check_ins = f"/api/habits/{habit.json()['id']}/check-ins?to=0001-01-01"
    listed = await client.get(check_ins, headers=account.headers)
    assert listed.status_code == 200, listed.text
    assert listed.json() == []
    daily = await client.get("/api/sensors/daily?to=0001-01-07", headers=account.headers)
    assert daily.status_code == 200, daily.text
    assert [day["day"] for day in daily.json()][0] == "0001-01-01"


@pytest.mark.parametrize(
    ("time_zone", "url"),
    [
        ("UTC", "/api/mood?to=9999-12-31"),
        ("UTC", "/api/sensors/daily?from=9999-12-31&to=9999-12-31"),
        ("Etc/GMT-14", "/api/mood?to=0001-01-01"),
        ("Etc/GMT-14", "/api/sensors/daily?to=0001-01-01"),
    ],
)
async def test_the_ends_of_the_calendar_are_days_like_any_other(
    client: httpx.AsyncClient, time_zone: str, url: str
) -> None:
    account = await register(client)
    zone = {"preferences": {"timeZone": time_zone}}
    assert (await client.patch("/api/users/me", json=zone, headers=account.headers)).is_success
    response = await client.get(url, headers=account.headers)
    assert response.status_code == 200, response.text


NUL = "a\x00b"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/mood", {"score": 3, "note": NUL}),
        ("POST", "/api/diary", {"date": "2024-05-01", "text": NUL}),
        ("POST", "/api/auth/api-keys", {"name": NUL}),
        ("POST", "/api/messages", {"chatId": NUL, "content": "hi"}),
        ("PATCH", "/api/users/me/medical-card", {"allergies": [NUL]}),
        ("POST", "/api/auth/pin-login", {"userId": NUL, "pin": "1234"}),
        ("GET", "/api/diary/a%00b", None),
        ("GET", "/api/chats/a%00b", None),
        ("DELETE", "/api/auth/api-keys/a%00b", None),
        ("GET", "/api/users/a%00b/avatar", None),
        ("GET", "/api/jobs/a%00b", None),
    ],
)
async def test_text_and_ids_with_a_nul_character_are_422(
    client: httpx.AsyncClient, runtime: Runtime, method: str, path: str, body: Any
) -> None:
    """PostgreSQL cannot hold a NUL: such text reached it and answered 500 there."""
    account = await register(client)
    response = await client.request(method, path, json=body, headers=account.headers)
    assert_error(response, 422, "validation_error")
    assert await rows_of(runtime.db, MoodEntry, account.user_id) == 0
    assert await rows_of(runtime.db, DiaryEntry, account.user_id) == 0


async def test_ids_in_paths_are_url_safe_text(client: httpx.AsyncClient) -> None:
    account = await register(client)
    assert_error(await client.get("/api/diary/no-such-entry", headers=account.headers), 404)
    assert_error(await client.get("/api/diary/a%20b", headers=account.headers), 422)
    document = (await client.get("/openapi.json")).json()
    parameter = document["paths"]["/api/diary/{entry_id}"]["get"]["parameters"][0]
    assert parameter["schema"]["pattern"] == r"^[A-Za-z0-9._~-]+$"


def _cursor(position: str, item_id: str) -> str:
    raw = json.dumps([position, item_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor", [_cursor("2024-05-01", "x"), _cursor("2024-05-01T00:00:00+00:00", NUL)]
)
async def test_forged_cursors_are_invalid_cursors(client: httpx.AsyncClient, cursor: str) -> None:
    account = await register(client)
    response = await client.get(f"/api/mood?cursor={cursor}", headers=account.headers)
    assert_error(response, 422, "validation_error")
