"""A voice turn: hear the recording, answer it through `converse` as a typed message is
answered, speak each sentence as soon as it is written, keep both clips. How long the
person waited (for the first sentence spoken, for the whole turn) goes to the voice
engines' observers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from confidant.auth.models import User
from confidant.chats import service as chats_service
from confidant.chats.schemas import MessageOut
from confidant.companion.channels import chat_turn
from confidant.companion.events import Crisis, Delta, Event, Failed, Replied, Sources
from confidant.voice import audio
from confidant.voice import service as voice_service
from confidant.voice.audio import CONTENT_TYPES, Pcm, ReplyFormat
from confidant.voice.schemas import VoiceTurnOut

if TYPE_CHECKING:
    from confidant.runtime import Runtime


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


VoiceEvent = Transcribed | Crisis | Delta | SentenceAudio | VoiceTurnOut


def _text_of(event: Event[MessageOut]) -> str | None:
    return event.text if isinstance(event, Delta) else None


async def converse_by_voice(
    rt: Runtime,
    user: User,
    chat_id: str,
    data: bytes,
    reply_format: ReplyFormat,
    sentence_audio: bool,
) -> AsyncIterator[VoiceEvent]:
    """A whole voice turn as it happens: what was heard, help at once on a crisis, the
    reply's text deltas, with `sentence_audio` each sentence spoken, and last the stored
    turn with its audio. A domain error is raised."""
    arrived = time.perf_counter()
    await chats_service.require_chat(rt, user, chat_id)  # before any audio work
    await rt.voice.ready()  # a broken engine answers before anything is stored
    recording, transcript = await voice_service.hear(rt, data)
    keeper, events = chat_turn(rt, user, chat_id, transcript, channel="voice")
    yield Transcribed(transcript, keeper.asked)
    crisis = False
    spoken: list[Pcm] = []
    replied: Replied[MessageOut] | None = None
    async for item in voice_service.speak_as_written(rt, events, _text_of):
        if isinstance(item, voice_service.SpokenSentence):
            if not spoken:
                rt.voice.observers.first_audio(time.perf_counter() - arrived)
            spoken.append(item.pcm)
            if sentence_audio:
                encoded = await asyncio.to_thread(audio.encode, item.pcm, reply_format)
                yield SentenceAudio(item.index, item.text, CONTENT_TYPES[reply_format], encoded)
        elif isinstance(item, Failed):
            raise item.error
        elif isinstance(item, Crisis):
            crisis = True
            yield item
        elif isinstance(item, Delta):
            yield item
        elif isinstance(item, Replied):
            replied = item
        elif not isinstance(item, Sources):
            raise TypeError(f"unexpected event {item!r}")
    if replied is None:
        raise RuntimeError("a voice turn ended without its reply")
    speech = Pcm.join(spoken)
    user_clip, reply_clip = await voice_service.keep_clips(
        rt,
        user.id,
        [
            voice_service.ClipDraft(
                keeper.asked.id, data, recording.content_type, recording.pcm.seconds
            ),
            voice_service.ClipDraft(
                replied.kept.id,
                await asyncio.to_thread(audio.encode, speech, reply_format),
                CONTENT_TYPES[reply_format],
                speech.seconds,
            ),
        ],
    )
    rt.voice.observers.voice_turn(time.perf_counter() - arrived)
    yield VoiceTurnOut(
        user_message=keeper.asked,
        reply=replied.kept,
        crisis=crisis,
        transcript=transcript,
        user_audio=user_clip,
        reply_audio=reply_clip,
    )


async def answer_by_voice(
    rt: Runtime, user: User, chat_id: str, data: bytes, reply_format: ReplyFormat
) -> VoiceTurnOut:
    """A whole voice turn at once."""
    events = converse_by_voice(rt, user, chat_id, data, reply_format, sentence_audio=False)
    async for event in events:
        if isinstance(event, VoiceTurnOut):
            return event
    raise RuntimeError("a voice turn ended without its reply")
