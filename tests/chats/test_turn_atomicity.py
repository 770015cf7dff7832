"""A reply that fails stores nothing of its turn: the user's message and the reply are
committed together, on every channel. The model here is an OpenAI-compatible server on
loopback that streams a little and then breaks, as a remote one does."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from tests.chats.test_chats_api import sse_events
from tests.conftest import client_for, make_settings, started_app, upgrade_schema
from tests.helpers import Account, assert_error, register

CHUNK = {"id": "c", "object": "chat.completion.chunk", "model": "remote"}


async def breaking_upstream(deltas: int) -> tuple[asyncio.AbstractServer, int]:
    """Streams `deltas` chunks of a chat completion, then drops the connection."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        for n in range(deltas):
            choice = {"index": 0, "delta": {"content": f"part {n} "}, "finish_reason": None}
            event = f"data: {json.dumps({**CHUNK, 'choices': [choice]})}\n\n".encode()
            writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            await writer.drain()
        writer.transport.abort()  # no last chunk: the stream breaks mid-reply

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture(params=[0, 3], ids=["before-the-first-delta", "mid-reply"])
async def broken_model_app(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[FastAPI]:
    server, port = await breaking_upstream(request.param)
    settings = make_settings(
        tmp_path,
        llm_provider="openai",
        llm_model="remote",
        llm_base_url=f"http://127.0.0.1:{port}/v1",
        llm_api_key="k",
        llm_context_window=4096,
        llm_timeout_seconds=5,
    )
    await upgrade_schema(settings)
    async with server:
        async for app in started_app(settings):
            yield app


async def history(http: httpx.AsyncClient, account: Account, chat_id: str) -> list[object]:
    response = await http.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
    assert response.status_code == 200
    return list(response.json()["items"])


async def test_a_failed_reply_leaves_no_message_without_its_answer(
    broken_model_app: FastAPI,
) -> None:
    async with client_for(broken_model_app) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
        body = {"chatId": chat["id"], "content": "I had a hard day"}

        plain = await http.post("/api/messages", json=body, headers=account.headers)
        assert_error(plain, 502)
        assert await history(http, account, chat["id"]) == []

        streamed = await http.post(
            "/api/messages", json=body, headers={**account.headers, "Accept": "text/event-stream"}
        )
        if streamed.status_code == 200:  # the break came after the stream started
            kinds = [kind for kind, _ in sse_events(streamed.text)]
            assert kinds[-1] == "error"
            assert "message" not in kinds
        else:
            assert_error(streamed, 502)
        assert await history(http, account, chat["id"]) == []


async def test_crisis_help_is_recorded_even_when_the_reply_fails(
    broken_model_app: FastAPI,
) -> None:
    async with client_for(broken_model_app) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
        body = {"chatId": chat["id"], "content": "I want to end my life tonight"}
        await http.post("/api/messages", json=body, headers=account.headers)
        flagged = (await http.get(f"/api/chats/{chat['id']}", headers=account.headers)).json()
        assert flagged["flagged"] is True
