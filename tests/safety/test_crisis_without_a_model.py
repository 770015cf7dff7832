"""Crisis help never waits on a model: with no model loaded, or an OpenAI-compatible
server that does not answer, a crisis message still gets the resources on every
channel, the chat is flagged and the signal recorded; other messages get the 503 or
502 that says why."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import select

from confidant.config import Settings
from confidant.runtime import Runtime
from confidant.safety.crisis import CrisisScreen
from confidant.safety.models import SafetyEvent
from confidant.voice import audio
from tests.chats.test_llm import closed_port
from tests.chats.test_openai_facade import api_key
from tests.conftest import FAST_VOICE, LiveServer, make_settings, served, upgrade_schema
from tests.helpers import Account, register

CRISIS = "I want to end my life tonight"
RESOURCES = CrisisScreen.from_files().resources_for(None)


def no_model(tmp_path: Path) -> dict[str, object]:
    return {"llm_model": str(tmp_path / "no-weights-here")}


def server_down(tmp_path: Path) -> dict[str, object]:
    return {
        "llm_provider": "openai",
        "llm_model": "remote",
        "llm_base_url": f"http://127.0.0.1:{closed_port()}/v1",
        "llm_api_key": "k",
        "llm_timeout_seconds": 2,
    }


@pytest.fixture(params=[no_model, server_down], ids=["no-model-loaded", "server-down"])
async def live(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[LiveServer]:
    async for server in served(make_settings(tmp_path, **request.param(tmp_path))):
        yield server


async def events_of(runtime: Runtime, account: Account) -> list[str]:
    async with runtime.db.transaction() as session:
        events = await session.scalars(
            select(SafetyEvent).where(SafetyEvent.user_id == account.user_id)
        )
        return sorted(event.channel for event in events)


async def test_crisis_resources_reach_every_channel_with_the_model_down(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        account = await register(http)
        chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()

        plain = await http.post(
            "/api/messages", json={"chatId": chat["id"], "content": CRISIS}, headers=account.headers
        )
        assert plain.status_code == 200, plain.text
        assert plain.json()["crisis"] is True
        assert plain.json()["reply"]["content"].startswith(RESOURCES)

        streamed = await http.post(
            "/api/messages",
            json={"chatId": chat["id"], "content": CRISIS},
            headers={**account.headers, "Accept": "text/event-stream"},
        )
        assert streamed.status_code == 200, streamed.text
        assert "findahelpline" in streamed.text.split("\n\n")[0]
        assert "event: message" in streamed.text

        query = await http.post("/api/v1/query", json={"query": CRISIS}, headers=account.headers)
        assert query.status_code == 200, query.text
        assert query.json()["response"].startswith(RESOURCES)

        rag = await http.post("/api/rag/query", json={"question": CRISIS}, headers=account.headers)
        assert rag.status_code == 200, rag.text
        assert rag.json()["answer"].startswith(RESOURCES)

        completion = await http.post(
            "/v1/chat/completions",
            json={"model": "confidant", "messages": [{"role": "user", "content": CRISIS}]},
            headers={"Authorization": f"Bearer {await api_key(http, account)}"},
        )
        assert completion.status_code == 200, completion.text
        assert completion.json()["choices"][0]["message"]["content"].startswith(RESOURCES)

        calm = await http.post(
            "/api/messages",
            json={"chatId": chat["id"], "content": "I had a calm day"},
            headers=account.headers,
        )
        assert calm.status_code in (502, 503), calm.text
        assert set(calm.json()["error"]) == {"code", "message", "details"}

        flagged = (await http.get(f"/api/chats/{chat['id']}", headers=account.headers)).json()
        assert flagged["flagged"] is True

    url = f"{live.ws_url}/ws/chats/{chat['id']}?token={account.access}"
    async with websockets.connect(url) as ws:
        await ws.send(json.dumps({"type": "message", "content": CRISIS}))
        frames = []
        while not frames or frames[-1]["type"] not in ("message", "error"):
            frames.append(json.loads(await ws.recv()))
        assert frames[-1]["type"] == "message", frames
        assert frames[-1]["content"].startswith(RESOURCES)

    assert await events_of(live.runtime, account) == sorted(
        ["chat", "chat", "chat", "query", "rag", "openai"]
    )


async def test_a_spoken_crisis_gets_the_resources_spoken_back_with_no_model(
    tmp_path: Path,
) -> None:
    """The voice channel, with the default engines (Whisper base hears, Piper speaks)."""
    voice = {name: Settings.model_fields[name].default for name in FAST_VOICE}
    settings = make_settings(tmp_path, **no_model(tmp_path), **voice)
    await upgrade_schema(settings)
    server = LiveServer(settings)
    server.start()
    try:
        tts = server.runtime.voice
        said = audio.to_wav(await tts.synthesize(CRISIS))
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            account = await register(http)
            chat = (await http.post("/api/chats", json={}, headers=account.headers)).json()
            response = await http.post(
                "/api/messages/voice",
                data={"chatId": chat["id"]},
                files={"audio": ("crisis.wav", said, "audio/wav")},
                headers=account.headers,
            )
            assert response.status_code == 200, response.text
            turn = response.json()
            assert turn["crisis"] is True, turn["transcript"]
            assert turn["reply"]["content"].startswith(RESOURCES)
            spoken = await http.get(turn["replyAudio"]["url"], headers=account.headers)
            assert audio.decode(spoken.content, 300).pcm.seconds > 2  # the resources, read out
        assert await events_of(server.runtime, account) == ["voice"]
    finally:
        server.stop()
