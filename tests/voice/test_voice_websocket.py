"""Voice over WS /ws/chats/{id} with a real client against a real server: the recording
in binary chunks, the transcript, text deltas, and the reply spoken sentence by sentence."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from confidant.voice import audio
from tests.chats.test_live_streaming import account_with_chat
from tests.conftest import LiveServer
from tests.voice.speech import reencoded, silence_wav, spoken

CHUNK = 4096


async def send_recording(ws: ClientConnection, data: bytes, **start: str) -> None:
    await ws.send(json.dumps({"type": "voice.start", **start}))
    for offset in range(0, len(data), CHUNK):
        await ws.send(data[offset : offset + CHUNK])
    await ws.send(json.dumps({"type": "voice.end"}))


async def receive(ws: ClientConnection) -> dict[str, Any] | bytes:
    frame = await asyncio.wait_for(ws.recv(), timeout=60)
    return frame if isinstance(frame, bytes) else json.loads(frame)


async def voice_turn(ws: ClientConnection) -> list[dict[str, Any] | bytes]:
    frames: list[dict[str, Any] | bytes] = []
    while True:
        frame = await receive(ws)
        frames.append(frame)
        assert not (isinstance(frame, dict) and frame["type"] == "error"), frame
        if isinstance(frame, dict) and frame["type"] == "message":
            return frames


async def test_a_voice_message_over_the_websocket(live_server: LiveServer) -> None:
    account, chat_id = await account_with_chat(live_server)
    url = f"{live_server.ws_url}/ws/chats/{chat_id}?token={account.access}"
    async with websockets.connect(url) as ws:
        await send_recording(ws, reencoded(spoken("I slept badly last night"), "ogg"), format="ogg")
        frames = await voice_turn(ws)

    first = frames[0]
    assert isinstance(first, dict)
    assert first["type"] == "transcript"
    assert "night" in first["content"].split()
    assert first["message"]["content"] == first["content"]

    final = frames[-1]
    assert isinstance(final, dict)
    deltas = [f["content"] for f in frames if isinstance(f, dict) and f["type"] == "delta"]
    assert final["content"] == "".join(deltas)
    announced = [i for i, f in enumerate(frames) if isinstance(f, dict) and f["type"] == "audio"]
    assert announced, "the reply was not spoken"
    spoken_text = []
    for index in announced:
        header, body = frames[index], frames[index + 1]
        assert isinstance(header, dict)
        assert isinstance(body, bytes)
        assert len(body) == header["size"]
        assert header["contentType"] == "audio/ogg"
        assert audio.decode(body, 300).pcm.seconds > 0
        spoken_text.append(header["text"])
    position = 0
    for sentence in spoken_text:  # every sentence spoken, in the order written
        position = final["content"].index(sentence, position) + len(sentence)

    async with httpx.AsyncClient(base_url=live_server.url) as http:
        whole = await http.get(final["audio"]["url"], headers=account.headers)
        assert whole.status_code == 200
        assert whole.headers["content-type"] == "audio/ogg"
        listed = await http.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
        assert [m["id"] for m in listed.json()["items"]] == [final["id"], first["message"]["id"]]


async def test_voice_frames_out_of_order_and_bad_audio_get_error_frames(
    live_server: LiveServer,
) -> None:
    account, chat_id = await account_with_chat(live_server)
    url = f"{live_server.ws_url}/ws/chats/{chat_id}?token={account.access}"
    async with websockets.connect(url) as ws:
        await ws.send(b"audio before any start")
        assert (await receive(ws))["error"]["code"] == "voice_not_started"  # type: ignore[index]
        await ws.send(json.dumps({"type": "voice.end"}))
        assert (await receive(ws))["error"]["code"] == "voice_not_started"  # type: ignore[index]
        await ws.send(json.dumps({"type": "voice.start", "format": "flac"}))
        assert (await receive(ws))["error"]["code"] == "validation_error"  # type: ignore[index]

        await send_recording(ws, b"\x89PNG\r\n\x1a\n" + bytes(3000))
        assert (await receive(ws))["error"]["code"] == "unsupported_audio"  # type: ignore[index]
        await send_recording(ws, silence_wav(2))
        assert (await receive(ws))["error"]["code"] == "no_speech_detected"  # type: ignore[index]

        await ws.send(json.dumps({"type": "voice.start"}))
        await ws.send(spoken("call my sister"))
        await ws.send(json.dumps({"type": "voice.cancel"}))
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}  # the cancelled recording said nothing

    async with httpx.AsyncClient(base_url=live_server.url) as http:
        listed = await http.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
        assert listed.json()["items"] == []
