"""Streaming against a real server: a real WebSocket client, SSE over a real socket, and
generation stopping when the client goes away."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.conftest import LiveServer
from tests.helpers import Account, register

LONG_REPLY_TOKENS = 1000


async def account_with_chat(live: LiveServer) -> tuple[Account, str]:
    async with httpx.AsyncClient(base_url=live.url) as http:
        account = await register(http)
        chat = await http.post("/api/chats", json={}, headers=account.headers)
        return account, str(chat.json()["id"])


async def frames_until(ws: ClientConnection, kind: str) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
        frames.append(frame)
        assert frame["type"] != "error", frame
        if frame["type"] == kind:
            return frames


async def test_websocket_chat_with_deltas_ping_and_bad_frames(live_server: LiveServer) -> None:
    account, chat_id = await account_with_chat(live_server)
    url = f"{live_server.ws_url}/ws/chats/{chat_id}?token={account.access}"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}

        await ws.send("this is not json")
        assert json.loads(await ws.recv())["error"]["code"] == "invalid_json"
        await ws.send(json.dumps({"type": "message", "content": ""}))
        assert json.loads(await ws.recv())["error"]["code"] == "validation_error"
        await ws.send(json.dumps({"type": "dance"}))
        assert json.loads(await ws.recv())["error"]["code"] == "bad_frame"

        await ws.send(json.dumps({"type": "message", "content": "hello there"}))
        frames = await frames_until(ws, "message")
        deltas = [f["content"] for f in frames if f["type"] == "delta"]
        final = frames[-1]
        assert final["role"] == "assistant"
        assert final["content"] == "".join(deltas)
        assert final["id"]
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        stored = await http.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
        assert stored.json()["items"][0]["id"] == final["id"]


async def test_websocket_token_by_subprotocol(live_server: LiveServer) -> None:
    account, chat_id = await account_with_chat(live_server)
    async with websockets.connect(
        f"{live_server.ws_url}/ws/chats/{chat_id}", subprotocols=["bearer", account.access]
    ) as ws:
        assert ws.subprotocol == "bearer"
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}


@pytest.mark.parametrize("token", ["", "not-a-token"])
async def test_websocket_bad_token_closes_4401(live_server: LiveServer, token: str) -> None:
    _, chat_id = await account_with_chat(live_server)
    async with websockets.connect(f"{live_server.ws_url}/ws/chats/{chat_id}?token={token}") as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4401


async def test_websocket_someone_elses_chat_closes_4404(live_server: LiveServer) -> None:
    _, chat_id = await account_with_chat(live_server)
    intruder, _ = await account_with_chat(live_server)
    url = f"{live_server.ws_url}/ws/chats/{chat_id}?token={intruder.access}"
    async with websockets.connect(url) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404


async def wait_until_still(counter: Any, seconds: float = 0.5) -> int:
    """The model's token counter once it stops moving."""
    previous = -1
    while counter() != previous:
        previous = counter()
        await asyncio.sleep(seconds)
    return previous


def longer_replies(live: LiveServer) -> None:
    live.runtime.settings.__dict__["llm_max_new_tokens"] = LONG_REPLY_TOKENS


async def test_websocket_disconnect_stops_the_model(live_server: LiveServer) -> None:
    model = live_server.runtime.models.get()
    account, chat_id = await account_with_chat(live_server)
    original = live_server.runtime.settings.llm_max_new_tokens
    longer_replies(live_server)
    try:
        before = await wait_until_still(lambda: model.tokens_generated)  # type: ignore[attr-defined]
        url = f"{live_server.ws_url}/ws/chats/{chat_id}?token={account.access}"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "message", "content": "tell me a long story"}))
            await frames_until(ws, "delta")
        after = await wait_until_still(lambda: model.tokens_generated)  # type: ignore[attr-defined]
    finally:
        live_server.runtime.settings.__dict__["llm_max_new_tokens"] = original
    assert 0 < after - before < LONG_REPLY_TOKENS / 2


async def test_sse_disconnect_stops_the_model(live_server: LiveServer) -> None:
    model = live_server.runtime.models.get()
    account, chat_id = await account_with_chat(live_server)
    original = live_server.runtime.settings.llm_max_new_tokens
    longer_replies(live_server)
    try:
        before = await wait_until_still(lambda: model.tokens_generated)  # type: ignore[attr-defined]
        async with httpx.AsyncClient(base_url=live_server.url) as http:
            async with http.stream(
                "POST",
                "/api/messages",
                json={"chatId": chat_id, "content": "tell me a long story"},
                headers={**account.headers, "Accept": "text/event-stream"},
            ) as response:
                assert response.status_code == 200
                async for line in response.aiter_lines():
                    if line.startswith("event: delta"):
                        break
        after = await wait_until_still(lambda: model.tokens_generated)  # type: ignore[attr-defined]
    finally:
        live_server.runtime.settings.__dict__["llm_max_new_tokens"] = original
    assert 0 < after - before < LONG_REPLY_TOKENS / 2
