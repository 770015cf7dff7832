"""Chats and messages over HTTP: JSON and Server-Sent Events, history, bad input."""

from __future__ import annotations

import json

import httpx
import pytest

from confidant.runtime import Runtime
from tests.helpers import Account, assert_error, bearer, register


async def new_chat(
    client: httpx.AsyncClient, account: Account, **body: object
) -> dict[str, object]:
    response = await client.post("/api/chats", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def sse_events(text: str) -> list[tuple[str, dict[str, object]]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def test_a_message_gets_a_stored_reply(client: httpx.AsyncClient) -> None:
    account = await register(client)
    chat = await new_chat(client, account, title="Sleep")
    response = await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "I slept badly"},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    turn = response.json()
    assert turn["userMessage"]["content"] == "I slept badly"
    assert turn["reply"]["role"] == "assistant"
    assert turn["reply"]["model"]
    assert turn["crisis"] is False
    history = await client.get(f"/api/chats/{chat['id']}/messages", headers=account.headers)
    items = history.json()["items"]
    assert [m["id"] for m in items] == [turn["reply"]["id"], turn["userMessage"]["id"]]


async def test_reply_streams_as_server_sent_events(client: httpx.AsyncClient) -> None:
    account = await register(client)
    chat = await new_chat(client, account)
    response = await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "hello"},
        headers={**account.headers, "Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(response.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "sources"  # what the reply draws on, before its text
    assert kinds[-1] == "message"
    assert set(kinds[1:-1]) <= {"delta"}
    assert events[0][1] == []  # a new account has no notes to draw on
    final = events[-1][1]
    streamed = "".join(str(data["content"]) for kind, data in events if kind == "delta")
    assert final["content"] == streamed
    stored = await client.get(f"/api/chats/{chat['id']}/messages", headers=account.headers)
    assert stored.json()["items"][0]["id"] == final["id"]


async def test_chats_list_newest_first_with_cursor_pagination(client: httpx.AsyncClient) -> None:
    account = await register(client)
    ids = [str((await new_chat(client, account, title=f"chat {n}"))["id"]) for n in range(5)]
    first = (await client.get("/api/chats?limit=2", headers=account.headers)).json()
    assert [c["id"] for c in first["items"]] == ids[::-1][:2]
    seen = [c["id"] for c in first["items"]]
    cursor = first["nextCursor"]
    while cursor:
        page = (
            await client.get(f"/api/chats?limit=2&cursor={cursor}", headers=account.headers)
        ).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["nextCursor"]
    assert seen == ids[::-1]
    assert_error(await client.get("/api/chats?cursor=%%%", headers=account.headers), 422)
    assert_error(await client.get("/api/chats?limit=0", headers=account.headers), 422)
    assert_error(await client.get("/api/chats?limit=1000", headers=account.headers), 422)


async def test_messages_paginate_for_infinite_scroll(client: httpx.AsyncClient) -> None:
    account = await register(client)
    chat = await new_chat(client, account)
    for n in range(3):
        await client.post(
            "/api/messages",
            json={"chatId": chat["id"], "content": f"note {n}"},
            headers=account.headers,
        )
    url = f"/api/chats/{chat['id']}/messages?limit=4"
    first = (await client.get(url, headers=account.headers)).json()
    second = (
        await client.get(f"{url}&cursor={first['nextCursor']}", headers=account.headers)
    ).json()
    assert len(first["items"]) == 4
    assert len(second["items"]) == 2
    assert second["nextCursor"] is None
    assert [m["content"] for m in second["items"]][-1] == "note 0"


async def test_resume_returns_the_newest_chat(client: httpx.AsyncClient) -> None:
    account = await register(client)
    older = await new_chat(client, account)
    newer = await new_chat(client, account)
    resumed = await client.post("/api/chats", json={"resume": True}, headers=account.headers)
    assert resumed.status_code == 200
    assert resumed.json()["id"] == newer["id"] != older["id"]
    fresh = await register(client)
    created = await client.post("/api/chats", json={"resume": True}, headers=fresh.headers)
    assert created.status_code == 201


async def test_rename_pick_model_and_delete(client: httpx.AsyncClient, runtime: Runtime) -> None:
    account = await register(client)
    chat = await new_chat(client, account)
    model = runtime.models.default_name
    patched = await client.patch(
        f"/api/chats/{chat['id']}",
        json={"title": "Renamed", "model": model},
        headers=account.headers,
    )
    assert patched.json()["title"] == "Renamed"
    assert patched.json()["model"] == model
    unknown = await client.patch(
        f"/api/chats/{chat['id']}", json={"model": "no-such-model"}, headers=account.headers
    )
    assert model in assert_error(unknown, 422)["details"]["available"]
    await client.post(
        "/api/messages", json={"chatId": chat["id"], "content": "hi"}, headers=account.headers
    )
    assert (
        await client.delete(f"/api/chats/{chat['id']}", headers=account.headers)
    ).status_code == 204
    assert_error(await client.get(f"/api/chats/{chat['id']}", headers=account.headers), 404)
    assert_error(
        await client.get(f"/api/chats/{chat['id']}/messages", headers=account.headers), 404
    )


@pytest.mark.parametrize(
    "body",
    [
        {"content": "no chat id"},
        {"chatId": "x", "content": ""},
        {"chatId": "x", "content": "   "},
        {"chatId": "x", "content": "x" * 8001},
        {"chatId": "x", "content": 42},
        {"chatId": "x", "content": "hi", "extra": 1},
    ],
)
async def test_bad_messages_are_422(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    account = await register(client)
    response = await client.post("/api/messages", json=body, headers=account.headers)
    assert_error(response, 422, "validation_error")


async def test_message_to_a_missing_chat_is_404_and_stores_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await register(client)
    response = await client.post(
        "/api/messages", json={"chatId": "missing", "content": "hello"}, headers=account.headers
    )
    assert_error(response, 404, "not_found")
    assert_error(await client.post("/api/messages", json={"chatId": "x", "content": "hi"}), 401)


async def test_guests_can_chat(client: httpx.AsyncClient) -> None:
    guest = await client.post("/api/auth/guest")
    headers = bearer(guest.json()["accessToken"])
    chat = await client.post("/api/chats", json={}, headers=headers)
    reply = await client.post(
        "/api/messages", json={"chatId": chat.json()["id"], "content": "hi"}, headers=headers
    )
    assert reply.status_code == 200


async def test_a_long_message_keeps_the_newest_turns_in_context(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    chat = await new_chat(client, account)
    for n in range(12):
        response = await client.post(
            "/api/messages",
            json={"chatId": chat["id"], "content": f"turn {n} " + "words " * 20},
            headers=account.headers,
        )
        assert response.status_code == 200, response.text
    too_long = await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "zq" * 4000},
        headers=account.headers,
    )
    assert_error(too_long, 422)
