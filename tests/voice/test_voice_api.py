"""POST /api/messages/voice and GET /api/voice/clips/{id}, with the offline engines."""

from __future__ import annotations

import io

import httpx
import pytest
from sqlalchemy import select, update

from confidant.chats.models import Message
from confidant.kit.db import utcnow
from confidant.runtime import Runtime
from confidant.voice import audio
from confidant.voice import service as voice_service
from confidant.voice.models import VoiceClip
from tests.helpers import Account, assert_error, register, rows_of
from tests.voice.speech import reencoded, silence_wav, spoken


async def account_with_chat(client: httpx.AsyncClient) -> tuple[Account, str]:
    account = await register(client)
    chat = await client.post("/api/chats", json={}, headers=account.headers)
    return account, str(chat.json()["id"])


async def send_voice(
    client: httpx.AsyncClient,
    account: Account,
    chat_id: str,
    data: bytes,
    filename: str = "note.webm",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        "/api/messages/voice",
        data={"chatId": chat_id, **fields},
        files={"audio": (filename, io.BytesIO(data), "application/octet-stream")},
        headers=account.headers,
    )


async def stored_counts(runtime: Runtime, user_id: str) -> tuple[int, int]:
    return (
        await rows_of(runtime.db, Message, user_id),
        await rows_of(runtime.db, VoiceClip, user_id),
    )


async def test_a_voice_message_is_heard_answered_stored_and_spoken(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account, chat_id = await account_with_chat(client)
    upload = reencoded(spoken("I feel tired today"), "webm")
    response = await send_voice(client, account, chat_id, upload, format="ogg")
    assert response.status_code == 200, response.text
    turn = response.json()
    assert "tired" in turn["transcript"].split()
    assert turn["userMessage"]["content"] == turn["transcript"]
    assert turn["reply"]["role"] == "assistant"
    assert turn["reply"]["chatId"] == chat_id

    listed = await client.get(f"/api/chats/{chat_id}/messages", headers=account.headers)
    ids = [m["id"] for m in listed.json()["items"]]
    assert ids == [turn["reply"]["id"], turn["userMessage"]["id"]]

    reply_audio = turn["replyAudio"]
    assert reply_audio["contentType"] == "audio/ogg"
    fetched = await client.get(reply_audio["url"], headers=account.headers)
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "audio/ogg"
    spoken_back = audio.decode(fetched.content, 300)
    assert abs(spoken_back.pcm.seconds - reply_audio["durationSeconds"]) < 0.1

    recording = await client.get(turn["userAudio"]["url"], headers=account.headers)
    assert recording.content == upload
    assert recording.headers["content-type"] == "audio/webm"

    stranger = await register(client)
    assert_error(await client.get(reply_audio["url"], headers=stranger.headers), 404)
    async with runtime.db.transaction() as session:
        sealed = await session.scalar(
            select(VoiceClip.audio_ct).where(VoiceClip.id == turn["userAudio"]["id"])
        )
    assert sealed is not None
    assert upload[:64] not in sealed


async def test_the_reply_is_spoken_in_wav_by_default(client: httpx.AsyncClient) -> None:
    account, chat_id = await account_with_chat(client)
    response = await send_voice(client, account, chat_id, spoken("tell me a story"), "a.wav")
    assert response.status_code == 200, response.text
    reply_audio = response.json()["replyAudio"]
    fetched = await client.get(reply_audio["url"], headers=account.headers)
    assert fetched.headers["content-type"] == "audio/wav"
    assert fetched.content[:4] == b"RIFF"


async def test_clips_are_gone_once_their_time_is_up(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account, chat_id = await account_with_chat(client)
    turn = (await send_voice(client, account, chat_id, spoken("I feel sad"), "a.wav")).json()
    async with runtime.db.transaction() as session:
        await session.execute(
            update(VoiceClip)
            .where(VoiceClip.user_id == account.user_id)
            .values(expires_at=utcnow())
        )
    assert_error(await client.get(turn["replyAudio"]["url"], headers=account.headers), 404)
    async with runtime.db.transaction() as session:
        assert await voice_service.purge_expired(runtime, session) >= 2
    messages, clips = await stored_counts(runtime, account.user_id)
    assert (messages, clips) == (2, 0)  # the messages stay


def too_large(limit: int) -> bytes:
    return silence_wav(0.5) + bytes(limit)


@pytest.mark.parametrize(
    ("upload", "status", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(2000), 415, "unsupported_audio"),
        (b"not audio, just words" * 50, 415, "unsupported_audio"),
        (b"fLaC" + bytes(2000), 415, "unsupported_audio"),
        (spoken("hello")[:44], 422, "corrupt_audio"),
        (silence_wav(3), 422, "no_speech_detected"),
        (silence_wav(301, rate=8000), 413, "audio_too_long"),
        (too_large(25 * 1024 * 1024), 413, "payload_too_large"),
    ],
    ids=["png", "text", "flac", "truncated", "silence", "too-long", "too-large"],
)
async def test_bad_audio_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, runtime: Runtime, upload: bytes, status: int, code: str
) -> None:
    account, chat_id = await account_with_chat(client)
    assert_error(await send_voice(client, account, chat_id, upload), status, code)
    assert await stored_counts(runtime, account.user_id) == (0, 0)


async def test_bad_requests_are_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account, chat_id = await account_with_chat(client)
    other, others_chat = await account_with_chat(client)
    speech = spoken("play some music")
    assert_error(await send_voice(client, account, others_chat, speech), 404)
    assert_error(await send_voice(client, account, "no-such-chat", speech), 404)
    assert_error(await send_voice(client, account, chat_id, speech, format="flac"), 422)
    no_file = await client.post(
        "/api/messages/voice", data={"chatId": chat_id}, headers=account.headers
    )
    assert_error(no_file, 422)
    anonymous = await client.post(
        "/api/messages/voice",
        data={"chatId": chat_id},
        files={"audio": ("a.wav", io.BytesIO(speech), "audio/wav")},
    )
    assert_error(anonymous, 401)
    assert await stored_counts(runtime, account.user_id) == (0, 0)
    assert await stored_counts(runtime, other.user_id) == (0, 0)
    assert_error(await client.get("/api/voice/clips/nope", headers=account.headers), 404)
