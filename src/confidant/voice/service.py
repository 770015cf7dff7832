"""Voice: hear a recording, speak a reply as it is written (each sentence synthesised
as soon as the model has finished it), and keep the audio for a while."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.kit.blobs import bucket_store, sweep
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import InvalidInput, NotFound
from confidant.kit.repository import one_or_404, scoped
from confidant.voice import audio
from confidant.voice.audio import Pcm, Recording
from confidant.voice.models import VOICE_AREA, VoiceClip
from confidant.voice.schemas import ClipOut
from confidant.voice.sentences import SentenceSplitter

if TYPE_CHECKING:
    from confidant.runtime import Runtime

Item = TypeVar("Item")


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
    rt: Runtime, items: AsyncIterator[Item], text_of: Callable[[Item], str | None]
) -> AsyncIterator[Item | SpokenSentence]:
    """`items` as they come and, between them, each sentence of their text spoken
    (`text_of` says which items carry reply text)."""
    out: asyncio.Queue[Item | SpokenSentence | BaseException | None] = asyncio.Queue()
    sentences: asyncio.Queue[str | None] = asyncio.Queue()

    async def write() -> None:
        splitter = SentenceSplitter()
        async for item in items:
            out.put_nowait(item)
            for sentence in splitter.feed(text_of(item) or ""):
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
            await items.aclose()  # type: ignore[attr-defined]


async def _reporting(work: Awaitable[None], out: asyncio.Queue[Any]) -> None:
    try:
        await work
    except Exception as error:
        out.put_nowait(error)


async def keep_clips(rt: Runtime, user_id: str, drafts: list[ClipDraft]) -> list[ClipOut]:
    """Store audio encrypted under the user's key until the retention time runs out."""
    key = await rt.keystore.user_key(user_id)
    expires_at = utcnow() + timedelta(hours=rt.settings.voice_audio_retention_hours)
    bucket = bucket_store(rt.settings, VOICE_AREA)
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
            sealed = key.encrypt(draft.data, table="voice_clips", column="audio", row_id=clip.id)
            if bucket is None:
                clip.audio_ct = sealed
            else:  # written before the row commits; a row that never does leaves an orphan
                clip.location = f"{user_id}/{clip.id}"
                await asyncio.to_thread(bucket.put, clip.location, sealed)
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
    kept = scoped(VoiceClip, user.id).where(
        VoiceClip.id == clip_id, VoiceClip.expires_at > utcnow()
    )
    clip = await one_or_404(session, kept, missing="Audio not found, or no longer kept")
    key = await rt.keystore.user_key(user.id)
    sealed = clip.audio_ct
    if clip.location is not None:
        bucket = bucket_store(rt.settings, VOICE_AREA)
        if bucket is None:
            raise NotFound("Audio not found: the object store is no longer configured")
        sealed = await asyncio.to_thread(bucket.get, clip.location)
    assert sealed is not None
    data = key.decrypt(sealed, table="voice_clips", column="audio", row_id=clip.id)
    return clip.content_type, data


async def purge_expired(rt: Runtime, session: AsyncSession) -> int:
    """Delete the clips past their time. With a bucket, their objects go first (a failure
    leaves the rows for the next round), then any object whose row is gone: a deleted
    chat or account took it with a cascade."""
    expired = VoiceClip.expires_at <= utcnow()
    bucket = bucket_store(rt.settings, VOICE_AREA)
    if bucket is not None:
        gone = list(await session.scalars(select(VoiceClip.location).where(expired)))
        await asyncio.to_thread(bucket.delete, [key for key in gone if key])
    result = await session.execute(delete(VoiceClip).where(expired))
    if bucket is not None:
        kept = select(VoiceClip.location).where(VoiceClip.location.is_not(None))
        await asyncio.to_thread(sweep, bucket, {key for key in await session.scalars(kept) if key})
    return int(getattr(result, "rowcount", 0) or 0)
