"""Isolation matrix: every endpoint that takes the id of a user's data, called by user B
with user A's ids, answers 404 (never 403, never A's data) and changes nothing.

Later issues add their endpoints to MATRIX.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest

from tests.helpers import Account, assert_error, register


@dataclass(frozen=True)
class Case:
    method: str
    path: str  # formatted with the ids that `make_ids` returns for user A
    make_ids: Callable[[httpx.AsyncClient, Account], Awaitable[dict[str, str]]]
    still_owned: Callable[[httpx.AsyncClient, Account, dict[str, str]], Awaitable[bool]]
    body: dict[str, object] | None = None


async def a_session(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    sessions = (await http.get("/api/auth/sessions", headers=owner.headers)).json()
    return {"session_id": sessions[0]["id"]}


async def session_alive(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    sessions = (await http.get("/api/auth/sessions", headers=owner.headers)).json()
    return any(s["id"] == ids["session_id"] for s in sessions)


async def a_chat(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    chat = (await http.post("/api/chats", json={"title": "mine"}, headers=owner.headers)).json()
    await http.post(
        "/api/messages", json={"chatId": chat["id"], "content": "hi"}, headers=owner.headers
    )
    return {"chat_id": chat["id"]}


async def chat_intact(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    chat = await http.get(f"/api/chats/{ids['chat_id']}", headers=owner.headers)
    messages = await http.get(f"/api/chats/{ids['chat_id']}/messages", headers=owner.headers)
    return chat.json().get("title") == "mine" and len(messages.json()["items"]) == 2


async def a_query(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    asked = await http.post("/api/v1/query", json={"query": "private"}, headers=owner.headers)
    return {"query_id": asked.json()["query_id"]}


async def query_intact(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    record = await http.get(f"/api/v1/query/{ids['query_id']}", headers=owner.headers)
    return record.json().get("query") == "private"


async def an_api_key(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    await http.post("/api/auth/api-keys", json={"name": "k"}, headers=owner.headers)
    keys = (await http.get("/api/auth/api-keys", headers=owner.headers)).json()
    return {"key_id": keys[0]["id"]}


async def api_key_alive(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    keys = (await http.get("/api/auth/api-keys", headers=owner.headers)).json()
    return [k["id"] for k in keys] == [ids["key_id"]]


async def an_entry(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    entry = await http.post(
        "/api/diary", json={"date": "2025-01-01", "text": "mine"}, headers=owner.headers
    )
    return {"entry_id": entry.json()["id"]}


async def entry_intact(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    entry = await http.get(f"/api/diary/{ids['entry_id']}", headers=owner.headers)
    return entry.json().get("text") == "mine"


async def a_mood(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    entry = await http.post("/api/mood", json={"score": 6, "note": "mine"}, headers=owner.headers)
    return {"mood_id": entry.json()["id"]}


async def mood_intact(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    entry = await http.get(f"/api/mood/{ids['mood_id']}", headers=owner.headers)
    return (entry.json().get("score"), entry.json().get("note")) == (6, "mine")


async def a_habit(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    habit = await http.post("/api/habits", json={"name": "mine"}, headers=owner.headers)
    checked = await http.post(f"/api/habits/{habit.json()['id']}/check-ins", headers=owner.headers)
    return {"habit_id": habit.json()["id"], "day": checked.json()["day"]}


async def habit_intact(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    habit = await http.get(f"/api/habits/{ids['habit_id']}", headers=owner.headers)
    days = await http.get(f"/api/habits/{ids['habit_id']}/check-ins", headers=owner.headers)
    body = habit.json()
    return (body.get("name"), body.get("archived"), [d["day"] for d in days.json()]) == (
        "mine",
        False,
        [ids["day"]],
    )


async def a_mindfulness_session(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    done = await http.post(
        "/api/mindfulness/sessions", json={"title": "mine", "durationMin": 5}, headers=owner.headers
    )
    return {"session_id": done.json()["id"]}


async def mindfulness_session_kept(
    http: httpx.AsyncClient, owner: Account, ids: dict[str, str]
) -> bool:
    listed = await http.get("/api/mindfulness/sessions", headers=owner.headers)
    return [s["id"] for s in listed.json()["items"]] == [ids["session_id"]]


async def a_job(http: httpx.AsyncClient, owner: Account) -> dict[str, str]:
    job = await http.post("/api/rag/reindex", headers=owner.headers)
    return {"job_id": job.json()["id"]}


async def job_not_cancelled(http: httpx.AsyncClient, owner: Account, ids: dict[str, str]) -> bool:
    job = await http.get(f"/api/jobs/{ids['job_id']}", headers=owner.headers)
    return job.status_code == 200 and job.json()["state"] != "cancelled"


MATRIX = [
    Case("GET", "/api/auth/sessions/{session_id}", a_session, session_alive),
    Case("DELETE", "/api/auth/sessions/{session_id}", a_session, session_alive),
    Case("GET", "/api/chats/{chat_id}", a_chat, chat_intact),
    Case("PATCH", "/api/chats/{chat_id}", a_chat, chat_intact, body={"title": "stolen"}),
    Case("DELETE", "/api/chats/{chat_id}", a_chat, chat_intact),
    Case("GET", "/api/chats/{chat_id}/messages", a_chat, chat_intact),
    Case(
        "POST", "/api/messages", a_chat, chat_intact, body={"chatId": "{chat_id}", "content": "x"}
    ),
    Case("GET", "/api/v1/query/{query_id}", a_query, query_intact),
    Case("DELETE", "/api/auth/api-keys/{key_id}", an_api_key, api_key_alive),
    Case("GET", "/api/diary/{entry_id}", an_entry, entry_intact),
    Case("PATCH", "/api/diary/{entry_id}", an_entry, entry_intact, body={"text": "stolen"}),
    Case("DELETE", "/api/diary/{entry_id}", an_entry, entry_intact),
    Case("GET", "/api/mood/{mood_id}", a_mood, mood_intact),
    Case("PATCH", "/api/mood/{mood_id}", a_mood, mood_intact, body={"score": 1}),
    Case("DELETE", "/api/mood/{mood_id}", a_mood, mood_intact),
    Case("GET", "/api/habits/{habit_id}", a_habit, habit_intact),
    Case("PATCH", "/api/habits/{habit_id}", a_habit, habit_intact, body={"archived": True}),
    Case("DELETE", "/api/habits/{habit_id}", a_habit, habit_intact),
    Case("GET", "/api/habits/{habit_id}/check-ins", a_habit, habit_intact),
    Case("POST", "/api/habits/{habit_id}/check-ins", a_habit, habit_intact, body={}),
    Case("DELETE", "/api/habits/{habit_id}/check-ins/{day}", a_habit, habit_intact),
    Case(
        "DELETE",
        "/api/mindfulness/sessions/{session_id}",
        a_mindfulness_session,
        mindfulness_session_kept,
    ),
    Case("GET", "/api/jobs/{job_id}", a_job, job_not_cancelled),
]


@pytest.mark.parametrize("case", MATRIX, ids=lambda case: f"{case.method} {case.path}")
async def test_user_b_cannot_reach_user_a_data(client: httpx.AsyncClient, case: Case) -> None:
    owner = await register(client)
    intruder = await register(client)
    ids = await case.make_ids(client, owner)
    body = (
        {k: v.format(**ids) if isinstance(v, str) else v for k, v in case.body.items()}
        if case.body
        else None
    )
    path = case.path.format(**ids)
    response = await client.request(case.method, path, json=body, headers=intruder.headers)
    assert_error(response, 404, "not_found")
    assert await case.still_owned(client, owner, ids)
    own = await client.request(case.method, path, json=body, headers=owner.headers)
    assert own.status_code < 400, "the owner can reach it, so the 404 above was isolation"


async def test_user_b_cannot_cancel_user_a_job(client: httpx.AsyncClient) -> None:
    """Apart from the matrix: the owner's own cancel may find the job already ended (409)."""
    owner, intruder = await register(client), await register(client)
    ids = await a_job(client, owner)
    cancel = await client.post(f"/api/jobs/{ids['job_id']}/cancel", headers=intruder.headers)
    assert_error(cancel, 404, "not_found")
    assert await job_not_cancelled(client, owner, ids)
    assert (await client.get("/api/jobs", headers=intruder.headers)).json() == []
