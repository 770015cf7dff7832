"""GET /api/users/me/export: the whole account as one document that validates against
the shipped JSON Schema, holding the owner's data and nobody else's."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import func, select

from confidant.kit.db import Base
from tests.helpers import Account, assert_error, register

SCHEMA = json.loads(resources.files("confidant.export").joinpath("export.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=FormatChecker())


def problems(document: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]


async def fill(client: httpx.AsyncClient, me: Account, marker: str) -> None:
    """One of everything, each carrying `marker` where it holds text."""
    h = me.headers
    calls = [
        ("POST", "/api/diary", {"date": "2026-01-02", "text": f"diary {marker}", "mood": 6}),
        ("POST", "/api/mood", {"score": 7, "note": f"mood {marker}", "tags": ["calm"]}),
        ("POST", "/api/mindfulness/sessions", {"title": f"sit {marker}", "durationMin": 10}),
        ("POST", "/api/assessments/gad-7/responses", {"answers": [1, 1, 1, 1, 1, 1, 0]}),
        ("PATCH", "/api/users/me", {"medicalCard": {"heightCm": 180, "weightKg": 81}}),
        (
            "POST",
            "/api/sensors",
            {
                "samples": [
                    {
                        "id": f"hr-{marker}",
                        "type": "heart_rate",
                        "value": 64,
                        "at": datetime.now(UTC).isoformat(),
                    }
                ]
            },
        ),
    ]
    for method, path, body in calls:
        response = await client.request(method, path, json=body, headers=h)
        assert response.is_success, response.text
    habit = await client.post("/api/habits", json={"name": f"walk {marker}"}, headers=h)
    await client.post(f"/api/habits/{habit.json()['id']}/check-ins", headers=h)
    chat = await client.post("/api/chats", json={"title": f"chat {marker}"}, headers=h)
    sent = await client.post(
        "/api/messages", json={"chatId": chat.json()["id"], "content": f"hello {marker}"}, headers=h
    )
    assert sent.is_success, sent.text


async def export(client: httpx.AsyncClient, me: Account) -> dict[str, Any]:
    response = await client.get("/api/users/me/export", headers=me.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="confidant-export-'
    )
    body: dict[str, Any] = response.json()
    return body


async def test_a_full_account_exports_and_validates(client: httpx.AsyncClient) -> None:
    me = await register(client)
    other = await register(client)
    await fill(client, me, "MINE")
    await fill(client, other, "THEIRS")
    document = await export(client, me)
    assert problems(document) == []
    text = json.dumps(document)
    assert "THEIRS" not in text
    assert other.user_id not in text
    assert document["user"]["id"] == me.user_id
    assert [e["text"] for e in document["diary"]] == ["diary MINE"]
    assert [(m["score"], m["note"]) for m in document["mood"]] == [(7, "mood MINE")]
    assert [(h["name"], len(h["checkIns"])) for h in document["habits"]] == [("walk MINE", 1)]
    assert [s["title"] for s in document["interactions"]["sessions"]] == ["sit MINE"]
    chat_roles = [m["role"] for m in document["interactions"]["chatHistory"]]
    assert chat_roles == ["user", "assistant"]
    assert document["interactions"]["chatHistory"][0]["content"] == "hello MINE"
    summary = document["health"]["assessments"]
    assert [(a["id"], a["score"], a["level"]) for a in summary] == [("gad-7", 6, "mild")]
    assert document["health"]["medicalCard"]["bmi"] == 25.0
    assert [s["id"] for s in document["sensors"]["samples"]] == ["hr-MINE"]
    assert document["user"]["stats"]["xp"] > 0


async def test_the_ledger_trail_is_in_the_export(client: httpx.AsyncClient, runtime: Any) -> None:
    me = await register(client)
    await client.post("/api/mood", json={"score": 5}, headers=me.headers)
    await runtime.sequencer.drain()
    logs = (await export(client, me))["security"]["blockchainLogs"]
    assert logs, "the user's own API calls and writes are in the ledger"
    assert [leaf["leafIndex"] for leaf in logs] == sorted(leaf["leafIndex"] for leaf in logs)
    audit = (await client.get("/api/users/me/audit?limit=100", headers=me.headers)).json()
    assert {i["txId"] for i in audit["items"]} <= {leaf["txId"] for leaf in logs}


async def test_an_empty_account_validates_too(client: httpx.AsyncClient) -> None:
    document = await export(client, await register(client))
    assert problems(document) == []
    assert document["diary"] == []
    assert document["meta"]["version"] == 1


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("diary"),
        lambda d: d["user"].update(stats={"streakDays": -1, "level": 1, "xp": 0}),
        lambda d: d["mood"].append({"id": "x", "score": 11}),
        lambda d: d.update(extra=True),
        lambda d: d["meta"].update(generatedAt="yesterday"),
    ],
)
async def test_the_schema_is_strict(client: httpx.AsyncClient, damage: Any) -> None:
    document = await export(client, await register(client))
    broken = copy.deepcopy(document)
    damage(broken)
    assert problems(broken) != []


async def test_the_schema_is_served_and_export_needs_a_login(client: httpx.AsyncClient) -> None:
    served = await client.get("/api/export/schema")
    assert served.json() == SCHEMA
    assert_error(await client.get("/api/users/me/export"), 401)


async def test_deleting_the_account_leaves_no_row_of_it(
    client: httpx.AsyncClient, runtime: Any
) -> None:
    me = await register(client)
    await fill(client, me, "GONE")
    owned = [t for t in Base.metadata.sorted_tables if "user_id" in t.columns]
    assert {"mood_entries", "habit_check_ins", "sensor_samples"} <= {t.name for t in owned}

    async def rows_left() -> dict[str, int]:
        async with runtime.db.transaction() as session:
            counts = {
                t.name: await session.scalar(
                    select(func.count()).select_from(t).where(t.c.user_id == me.user_id)
                )
                for t in owned
            }
        return {name: n for name, n in counts.items() if n}

    assert {"mood_entries", "habits", "mindfulness_sessions"} <= set(await rows_left())
    assert (await client.delete("/api/users/me", headers=me.headers)).status_code == 204
    assert await rows_left() == {}
