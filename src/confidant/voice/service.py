"""Voice turns: hear a recording, answer it as a typed message is answered, speak the
answer. The speaking overlaps the writing: each sentence is synthesised as soon as the
model has finished it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.chats import service as chats_service
from confidant.chats.schemas import MessageOut
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import InvalidInput, NotFound
from confidant.voice import audio
from confidant.voice.audio import CONTENT_TYPES, Pcm, Recording, ReplyFormat
from confidant.voice.models import VoiceClip
from confidant.voice.schemas import ClipOut, VoiceTurnOut
from confidant.voice.sentences import SentenceSplitter

if TYPE_CHECKING:
    from confidant.runtime import Runtime


class NoSpeechDetected(InvalidInput):
    code = "no_speech_detected"

    def __init__(self) -> None:
        super().__init__("No speech detected in the recording")


@dataclass(frozen=True)
class SpokenSentence:
    index: int
    text: str
    pcm: Pcm


@dataclass(frozen=True)
class ClipDraft:
    message_id: str
    data: bytes
    content_type: str
    seconds: float


async def require_chat(rt: Runtime, user: User, chat_id: str) -> None:
    """404 for a chat that is not the user's, before any audio work is spent on it."""
    async with rt.db.transaction() as session:
        await chats_service.own_chat(session, user, chat_id)


async def hear(rt: Runtime, data: bytes) -> tuple[Recording, str]:
    """The decoded recording and what was said in it."""
    recording = await asyncio.to_thread(audio.decode, data, rt.settings.voice_max_seconds)
    if not await asyncio.to_thread(audio.has_speech, recording.pcm):
        raise NoSpeechDetected()
    transcript = " ".join((await rt.voice.transcribe(recording.pcm)).split())
    if not transcript:
        raise NoSpeechDetected()
    return recording, transcript


async def speak_as_written(
    rt: Runtime, deltas: AsyncIterator[str]
) -> AsyncIterator[str | SpokenSentence]:
    """The reply's text deltas as they come and, between them, each sentence spoken."""
    out: asyncio.Queue[str | SpokenSentence | BaseException | None] = asyncio.Queue()
    sentences: asyncio.Queue[str | None] = asyncio.Queue()

    async def write() -> None:
        splitter = SentenceSplitter()
        async for delta in deltas:
            out.put_nowait(delta)
            for sentence in splitter.feed(delta):
                sentences.put_nowait(sentence)
        for sentence in splitter.flush():
            sentences.put_nowait(sentence)
        sentences.put_nowait(None)

    async def speak() -> None:
        index = 0
        while (sentence := await sentences.get()) is not None:
            out.put_nowait(SpokenSentence(index, sentence, await rt.voice.synthesize(sentence)))
            index += 1
        out.put_nowait(None)

    tasks = [asyncio.create_task(_reporting(work, out)) for work in (write(), speak())]
    try:
        while (item := await out.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await deltas.aclose()  # type: ignore[attr-defined]


async def _reporting(work: Awaitable[None], out: asyncio.Queue[Any]) -> None:
    try:
        await work
    except Exception as error:
        out.put_nowait(error)


@dataclass(frozen=True)
class Transcribed:
    transcript: str
    user_message: MessageOut


@dataclass(frozen=True)
class SentenceAudio:
    index: int
    text: str
    content_type: str
    data: bytes  # a complete file in the reply format


VoiceEvent = Transcribed | str | SentenceAudio | VoiceTurnOut


async def converse(
    rt: Runtime,
    user: User,
    chat_id: str,
    data: bytes,
    reply_format: ReplyFormat,
    sentence_audio: bool,
) -> AsyncIterator[VoiceEvent]:
    """A whole voice turn as it happens: what was heard, the reply's text deltas, with
    `sentence_audio` each sentence spoken, and last the stored turn with its audio."""
    await require_chat(rt, user, chat_id)
    await rt.voice.ready()  # a broken engine answers before anything is stored
    recording, transcript = await hear(rt, data)
    turn = await chats_service.begin_turn(rt, user, chat_id, transcript)
    yield Transcribed(transcript, turn.user_message)
    text: list[str] = []
    spoken: list[Pcm] = []
    async for item in speak_as_written(rt, chats_service.reply_stream(turn)):
        if isinstance(item, str):
            text.append(item)
            yield item
            continue
        spoken.append(item.pcm)
        if sentence_audio:
            encoded = await asyncio.to_thread(audio.encode, item.pcm, reply_format)
            yield SentenceAudio(item.index, item.text, CONTENT_TYPES[reply_format], encoded)
    reply = await chats_service.finish_turn(rt, turn, "".join(text))
    speech = Pcm.join(spoken)
    user_clip, reply_clip = await keep_clips(
        rt,
        user.id,
        [
            ClipDraft(turn.user_message.id, data, recording.content_type, recording.pcm.seconds),
            ClipDraft(
                reply.id,
                await asyncio.to_thread(audio.encode, speech, reply_format),
                CONTENT_TYPES[reply_format],
                speech.seconds,
            ),
        ],
    )
    yield VoiceTurnOut(
        user_message=turn.user_message,
        reply=reply,
        crisis=turn.crisis_resources is not None,
        transcript=transcript,
        user_audio=user_clip,
        reply_audio=reply_clip,
    )


async def answer(
    rt: Runtime, user: User, chat_id: str, data: bytes, reply_format: ReplyFormat
) -> VoiceTurnOut:
    """A whole voice turn at once."""
    async for event in converse(rt, user, chat_id, data, reply_format, sentence_audio=False):
        if isinstance(event, VoiceTurnOut):
            return event
    raise RuntimeError("a voice turn ended without its reply")


async def keep_clips(rt: Runtime, user_id: str, drafts: list[ClipDraft]) -> list[ClipOut]:
    """Store audio encrypted under the user's key until the retention time runs out."""
    key = await rt.keystore.user_key(user_id)
    expires_at = utcnow() + timedelta(hours=rt.settings.voice_audio_retention_hours)
    clips = []
    async with rt.db.transaction() as session:
        for draft in drafts:
            clip = VoiceClip(
                id=new_id(),
                user_id=user_id,
                message_id=draft.message_id,
                content_type=draft.content_type,
                duration_ms=round(draft.seconds * 1000),
                created_at=utcnow(),
                expires_at=expires_at,
            )
            clip.audio_ct = key.encrypt(
                draft.data, table="voice_clips", column="audio", row_id=clip.id
            )
            session.add(clip)
            clips.append(_clip_out(clip))
    return clips


def _clip_out(clip: VoiceClip) -> ClipOut:
    return ClipOut(
        id=clip.id,
        url=f"/api/voice/clips/{clip.id}",
        content_type=clip.content_type,
        duration_seconds=clip.duration_ms / 1000,
        expires_at=clip.expires_at,
    )


async def get_clip(
    rt: Runtime, session: AsyncSession, user: User, clip_id: str
) -> tuple[str, bytes]:
    """The clip's content type and audio; 404 once it has expired."""
    clip = await session.scalar(
        select(VoiceClip).where(
            VoiceClip.user_id == user.id, VoiceClip.id == clip_id, VoiceClip.expires_at > utcnow()
        )
    )
    if clip is None:
        raise NotFound("Audio not found, or no longer kept")
    key = await rt.keystore.user_key(user.id)
    data = key.decrypt(clip.audio_ct, table="voice_clips", column="audio", row_id=clip.id)
    return clip.content_type, data


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(delete(VoiceClip).where(VoiceClip.expires_at <= utcnow()))
    return int(getattr(result, "rowcount", 0) or 0)
