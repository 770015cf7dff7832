"""The seven channels answer through one pipeline: the reply is written by the person's
own adapter and grounded in their own notes, and a crisis message gets help first, with
the signal recorded with its channel. Two people with the same notes, one with an
adapter, ask the same thing on every channel; greedy decoding makes the adapter the
only difference between their replies."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from sqlalchemy import select

from confidant.finetune.models import READY, FineTunedModel
from confidant.finetune.service import adapter_files
from confidant.finetune.training import Hyperparameters, LoraTrainer, TrainingStatus
from confidant.kit.db import new_id
from confidant.runtime import Runtime
from confidant.safety.models import SafetyEvent
from tests.chats.test_openai_facade import api_key
from tests.conftest import (
    TINY_MODEL_DIR,
    LiveServer,
    make_settings,
    upgrade_schema,
    with_worker,
)
from tests.helpers import Account, jobs_settled, register
from tests.voice.speech import spoken

STREAMS = ("sse", "websocket")
CRISIS = "I want to end my life"  # what the quick offline recogniser hears word for word
CALM = "tell me about the canal and my sister"
NOTES = [
    ("2026-03-02", "I walked by the canal tonight and thought about my life and my sister."),
    ("2026-03-03", "My life felt heavy today; I want a calmer week."),
]


def sse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines.get("event", ""), json.loads(lines["data"])))
    return events


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveServer]:
    settings = make_settings(tmp_path, llm_temperature=0.0, llm_max_new_tokens=10)
    await upgrade_schema(settings)
    async for ready in with_worker(settings):
        server = LiveServer(ready)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def trained_adapter() -> bytes:
    data = [[{"role": "user", "content": f"biscuit the beagle {i} " * 8}] for i in range(6)]
    trainer = LoraTrainer(
        str(TINY_MODEL_DIR), Hyperparameters(learning_rate=5e-2, max_steps=8, seed=3)
    )
    return trainer.run(data[:5], data[5:], TrainingStatus(), threading.Event())


async def give_adapter(rt: Runtime, account: Account) -> None:
    """A finished adapter on the default model, stored as a fine-tune stores one."""
    model_id = new_id()
    key = await rt.keystore.user_key(account.user_id)
    location = adapter_files(rt).write(key, account.user_id, model_id, trained_adapter())
    async with rt.db.transaction() as session:
        session.add(
            FineTunedModel(
                id=model_id,
                name=f"adapter-{model_id}",
                base_model=rt.models.for_reply().name,
                owner_id=account.user_id,
                adapter_location=location,
                status=READY,
                trigger="user",
            )
        )


async def person(http: httpx.AsyncClient) -> Account:
    account = await register(http)
    for day, text in NOTES:
        response = await http.post(
            "/api/diary", json={"date": day, "text": text}, headers=account.headers
        )
        assert response.status_code == 201, response.text
    return account


async def new_chat(http: httpx.AsyncClient, account: Account) -> str:
    return str((await http.post("/api/chats", json={}, headers=account.headers)).json()["id"])


async def over_rest(http: httpx.AsyncClient, account: Account, text: str) -> dict[str, Any]:
    body = {"chatId": await new_chat(http, account), "content": text}
    turn = (await http.post("/api/messages", json=body, headers=account.headers)).json()
    reply = turn["reply"]
    return {
        "first": None,
        "crisis": turn["crisis"],
        "text": reply["content"],
        "sources": reply["sources"],
    }


async def over_sse(http: httpx.AsyncClient, account: Account, text: str) -> dict[str, Any]:
    body = {"chatId": await new_chat(http, account), "content": text}
    headers = {**account.headers, "Accept": "text/event-stream"}
    events = sse_events((await http.post("/api/messages", json=body, headers=headers)).text)
    final = events[-1]
    assert final[0] == "message", events
    message = final[1]
    return {
        "first": events[0][0],
        "crisis": message["crisis"],
        "text": message["content"],
        "sources": message["sources"],
    }


async def over_websocket(
    live: LiveServer, http: httpx.AsyncClient, account: Account, text: str
) -> dict[str, Any]:
    url = f"{live.ws_url}/ws/chats/{await new_chat(http, account)}?token={account.access}"
    frames: list[dict[str, Any]] = []
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "message", "content": text}))
        while not frames or frames[-1]["type"] not in ("message", "error"):
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 60)))
    final = frames[-1]
    assert final["type"] == "message", frames
    return {
        "first": frames[0]["type"],
        "crisis": final["crisis"],
        "text": final["content"],
        "sources": final["sources"],
    }


async def over_voice(http: httpx.AsyncClient, account: Account, text: str) -> dict[str, Any]:
    response = await http.post(
        "/api/messages/voice",
        data={"chatId": await new_chat(http, account)},
        files={"audio": ("said.wav", spoken(text), "audio/wav")},
        headers=account.headers,
    )
    turn = response.json()
    assert response.status_code == 200, response.text
    reply = turn["reply"]
    return {
        "first": None,
        "crisis": turn["crisis"],
        "text": reply["content"],
        "sources": reply["sources"],
    }


async def over_query_api(http: httpx.AsyncClient, account: Account, text: str) -> dict[str, Any]:
    answer = (
        await http.post("/api/v1/query", json={"query": text}, headers=account.headers)
    ).json()
    return {"first": None, "crisis": None, "text": answer["response"], "sources": answer["sources"]}


async def over_openai(http: httpx.AsyncClient, account: Account, text: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {await api_key(http, account)}"}
    body = {"model": "confidant", "messages": [{"role": "user", "content": text}]}
    completion = (await http.post("/v1/chat/completions", json=body, headers=headers)).json()
    written = completion["choices"][0]["message"]["content"]
    return {"first": None, "crisis": None, "text": written, "sources": completion["sources"]}


async def over_rag(http: httpx.AsyncClient, account: Account, text: str) -> dict[str, Any]:
    answer = (
        await http.post("/api/rag/query", json={"question": text}, headers=account.headers)
    ).json()
    return {"first": None, "crisis": None, "text": answer["answer"], "sources": answer["sources"]}


async def channels(
    live: LiveServer, http: httpx.AsyncClient, account: Account, text: str
) -> dict[str, Any]:
    return {
        "rest": await over_rest(http, account, text),
        "sse": await over_sse(http, account, text),
        "websocket": await over_websocket(live, http, account, text),
        "voice": await over_voice(http, account, text),
        "query": await over_query_api(http, account, text),
        "openai": await over_openai(http, account, text),
        "rag": await over_rag(http, account, text),
    }


async def recorded_channels(rt: Runtime, account: Account) -> list[str]:
    async with rt.db.transaction() as session:
        events = await session.scalars(
            select(SafetyEvent.channel).where(SafetyEvent.user_id == account.user_id)
        )
        return sorted(events)


@pytest.mark.slow  # trains an adapter and answers 14 turns: make test, not make check
async def test_every_channel_uses_the_persons_adapter_and_notes(live: LiveServer) -> None:
    rt = live.runtime
    async with httpx.AsyncClient(base_url=live.url, timeout=120) as http:
        adapted, plain = await person(http), await person(http)
        await jobs_settled(rt.db)
        await give_adapter(rt, adapted)
        theirs = await channels(live, http, adapted, CALM)
        others = await channels(live, http, plain, CALM)
    for name, got in theirs.items():
        # the diary's notes (earlier channels' messages join them as they are indexed)
        assert "diary" in {s["sourceType"] for s in got["sources"]}, (name, got["sources"])
        assert got["text"] != others[name]["text"], f"{name}: the adapter was not applied"
        if name in STREAMS:
            assert got["first"] == "sources", (name, got)
    assert await recorded_channels(rt, adapted) == []


async def test_every_channel_helps_first(live: LiveServer) -> None:
    rt = live.runtime
    resources = rt.crisis.resources_for(None)
    async with httpx.AsyncClient(base_url=live.url, timeout=120) as http:
        account = await person(http)
        answered = await channels(live, http, account, CRISIS)
    for name, got in answered.items():
        assert got["crisis"] is not False, name  # None: the API has no flag of its own
        assert got["text"].startswith(resources), (name, got["text"])
        if name in STREAMS:
            assert got["first"] == "crisis", (name, got)  # before sources and text
    expected = sorted(["chat", "chat", "chat", "voice", "query", "openai", "rag"])
    assert await recorded_channels(rt, account) == expected
