"""Every chat turn ends: with the stored reply, or with an error the client can see.

A turn whose storing failed unexpectedly (SQLite's "database is locked" under 16
concurrent chats, in bench/chat.py) used to end silently over WebSocket: the reply task
died, no frame came, and the client waited forever (issue 22)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy.exc import OperationalError

from confidant.chats import service as chats_service
from tests.chats.test_live_streaming import account_with_chat
from tests.conftest import LiveServer
from tests.helpers import Account, register

TURN_BOUND_S = 30.0
CONCURRENT_CHATS = 16
CONCURRENT_BOUND_S = 240.0  # 32 turns on the tiny model, on a small shared machine


async def failing_store_turn(*_: Any, **__: Any) -> None:
    raise OperationalError("UPDATE chats ...", {}, Exception("database is locked"))


async def ws_turn(ws: websockets.ClientConnection, content: str) -> dict[str, Any]:
    """The frame that ends a turn: the stored reply or an error."""
    await ws.send(json.dumps({"type": "message", "content": content}))
    while True:
        frame: dict[str, Any] = json.loads(await ws.recv())
        if frame["type"] in ("message", "error"):
            return frame


async def sse_turn(http: httpx.AsyncClient, account: Account, chat_id: str) -> str:
    """The name of the event that ends an SSE turn."""
    last = ""
    async with http.stream(
        "POST",
        "/api/messages",
        json={"chatId": chat_id, "content": "how do I sleep better"},
        headers={**account.headers, "Accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("event: "):
                last = line.removeprefix("event: ")
    return last


async def test_websocket_turn_that_fails_unexpectedly_ends_with_an_error(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, chat_id = await account_with_chat(live_server)
    url = f"{live_server.ws_url}/ws/chats/{chat_id}?token={account.access}"
    async with websockets.connect(url) as ws:
        monkeypatch.setattr(chats_service, "store_turn", failing_store_turn)
        frame = await asyncio.wait_for(ws_turn(ws, "hello"), TURN_BOUND_S)
        assert frame["type"] == "error"
        assert frame["error"]["code"] == "internal_error"
        assert "locked" not in frame["error"]["message"]  # no internals to the client
        monkeypatch.undo()
        frame = await asyncio.wait_for(ws_turn(ws, "hello again"), TURN_BOUND_S)
        assert frame["type"] == "message"  # the socket is not left busy


async def test_sse_turn_that_fails_mid_stream_ends_with_an_error_event(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account, chat_id = await account_with_chat(live_server)
    monkeypatch.setattr(chats_service, "store_turn", failing_store_turn)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=TURN_BOUND_S) as http:
        assert await sse_turn(http, account, chat_id) == "error"


async def test_sixteen_concurrent_sse_and_websocket_turns_all_end_with_replies(
    live_server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=live_server.url, timeout=CONCURRENT_BOUND_S) as http:
        account = await register(http)
        chats = [
            (await http.post("/api/chats", json={}, headers=account.headers)).json()["id"]
            for _ in range(CONCURRENT_CHATS)
        ]
        sockets = [
            await websockets.connect(f"{live_server.ws_url}/ws/chats/{c}?token={account.access}")
            for c in chats
        ]
        try:
            endings = await asyncio.wait_for(
                asyncio.gather(
                    *(ws_turn(ws, "I feel anxious about tomorrow") for ws in sockets),
                    *(sse_turn(http, account, c) for c in chats),
                ),
                CONCURRENT_BOUND_S,
            )
        finally:
            for ws in sockets:
                await ws.close()
    ws_endings = [frame["type"] for frame in endings[:CONCURRENT_CHATS]]
    assert ws_endings == ["message"] * CONCURRENT_CHATS, endings[:CONCURRENT_CHATS]
    assert endings[CONCURRENT_CHATS:] == ["message"] * CONCURRENT_CHATS
