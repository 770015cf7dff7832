"""A reply cut short is kept as far as it was written, marked interrupted: Stop on the
WebSocket, and a client that goes away in the middle of a streamed reply."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import LiveServer, make_settings, served
from tests.helpers import Account, register

LONG = 1500  # new tokens: the tiny model takes seconds, so the reply can be stopped


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveServer]:
    async for server in served(make_settings(tmp_path, llm_max_new_tokens=LONG)):
        yield server


async def history(http: httpx.AsyncClient, account: Account, chat_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
    return list(response.json()["items"])


async def kept(http: httpx.AsyncClient, account: Account, chat_id: str) -> list[dict[str, Any]]:
    """The chat's messages once the turn is stored (newest first)."""
    deadline = time.monotonic() + 30
    while not (items := await history(http, account, chat_id)):
        assert time.monotonic() < deadline, "the interrupted turn was never stored"
        await asyncio.sleep(0.1)
    return items


async def test_stop_keeps_the_reply_as_written(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()["id"]
        url = f"{live.ws_url}/ws/chats/{chat}?token={account.access}"
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps({"type": "message", "content": "tell me a long story"}))
            streamed = ""
            while (frame := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] != "delta":
                pass
            streamed += frame["content"]
            started = time.monotonic()
            await ws.send(json.dumps({"type": "stop"}))
            while (frame := json.loads(await asyncio.wait_for(ws.recv(), 30)))["type"] == "delta":
                streamed += frame["content"]
            assert frame["type"] == "message", frame
            assert time.monotonic() - started < 10
        assert frame["interrupted"] is True
        assert frame["content"].startswith(streamed)  # a delta may be cut in flight
        assert len(frame["content"]) < len(streamed) + 200
        reply, asked = await history(http, account, chat)
        assert (asked["content"], asked["interrupted"]) == ("tell me a long story", False)
        assert (reply["id"], reply["content"], reply["interrupted"]) == (
            frame["id"],
            frame["content"],
            True,
        )


async def test_a_client_gone_mid_stream_leaves_its_reply_kept(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=60) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()["id"]
        body = {"chatId": chat, "content": "tell me a long story"}
        headers = {**account.headers, "Accept": "text/event-stream"}
        async with http.stream("POST", "/api/messages", json=body, headers=headers) as response:
            async for line in response.aiter_lines():
                if line.startswith("event: delta"):
                    break  # and hang up
        reply, asked = await kept(http, account, chat)
        assert asked["content"] == "tell me a long story"
        assert reply["interrupted"] is True
        assert reply["role"] == "assistant"
