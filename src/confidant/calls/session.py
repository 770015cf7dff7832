"""One live call: listen to the person, decide when their turn is over, answer through
the reply pipeline (`converse`), speak the reply clause by clause while the model writes
the rest, and stop at once when they start talking over it (barge-in).

The part of a reply that was spoken is what the chat keeps of it; a reply the person
talked over is kept as interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from aiortc import RTCDataChannel, RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

from confidant.auth.models import User
from confidant.calls.media import MicrophoneEnded, SpeakerTrack, microphone_chunks
from confidant.calls.telemetry import CallObservers
from confidant.calls.turns import CHUNK_SECONDS, Cue, TurnDetector
from confidant.calls.vad import Vad
from confidant.chats.schemas import MessageOut
from confidant.companion.events import Crisis, Delta, Failed, Replied
from confidant.companion.keepers import ChatTurn
from confidant.companion.service import Ask, PreparedReply, converse
from confidant.kit.db import new_id
from confidant.kit.errors import DomainError
from confidant.safety import responses
from confidant.voice.audio import SPEECH_RATE, Pcm
from confidant.voice.sentences import SentenceSplitter

if TYPE_CHECKING:
    from confidant.runtime import Runtime

log = logging.getLogger("confidant.calls")

CHANNEL = "events"
# One chunk this sure is enough to stop the companion's voice; starting a turn takes two.
BARGE_IN_PROBABILITY = 0.8


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass
class Playback:
    """A reply on its way out: sentences as they are written, synthesised in order into
    the speaker, and which of them the person has started to hear."""

    rt: Runtime
    speaker: SpeakerTrack
    on_first_audio: Callable[[], None]
    splitter: SentenceSplitter = field(default_factory=lambda: SentenceSplitter(first_clause=True))
    spoken: list[str] = field(default_factory=list)
    first_sentence_at: float | None = None
    synthesis_seconds: float = 0.0
    _sentences: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)
    _finished: asyncio.Future[bool] | None = None  # True: the person talked over it
    _worker: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self._finished = asyncio.get_running_loop().create_future()
        self._worker = asyncio.create_task(self._speak())

    def write(self, text: str) -> None:
        for sentence in self.splitter.feed(text):
            self._queue(sentence)

    def say(self, line: str) -> None:
        self._queue(line)

    def finish_writing(self) -> None:
        for sentence in self.splitter.flush():
            self._queue(sentence)
        self._sentences.put_nowait(None)

    def _queue(self, sentence: str) -> None:
        if self.first_sentence_at is None:
            self.first_sentence_at = time.perf_counter()
        self._sentences.put_nowait(sentence)

    async def _speak(self) -> None:
        try:
            while (sentence := await self._sentences.get()) is not None:
                started = time.perf_counter()
                pcm = await self.rt.voice.synthesize(sentence)
                if not self.spoken and not self.speaker.speaking:
                    self.synthesis_seconds = time.perf_counter() - started
                self.speaker.say(pcm, on_start=self._heard(sentence))
            await self.speaker.drained()
        except Exception:
            log.exception("the call could not speak a reply")
        finally:
            self._end(barged=False)

    def _heard(self, sentence: str) -> Callable[[], None]:
        def started() -> None:
            if not self.spoken:
                self.on_first_audio()
            self.spoken.append(sentence)

        return started

    def barge_in(self) -> None:
        self.speaker.stop_speaking()
        self._end(barged=True)
        if self._worker is not None:
            self._worker.cancel()

    def _end(self, barged: bool) -> None:
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(barged)

    async def finished(self) -> bool:
        assert self._finished is not None
        return await self._finished


@dataclass
class CallTurn:
    """A chat turn kept when its reply has been heard: in full, or, when the person
    talked over it, as far as it was spoken."""

    turn: ChatTurn
    playback: Playback
    shown: str = ""  # written in the chat but not spoken (the crisis resources)
    keeping: bool = False

    async def keep(self, prepared: PreparedReply, text: str, interrupted: bool) -> MessageOut:
        self.keeping = True
        if not interrupted:
            self.playback.finish_writing()
            interrupted = await self.playback.finished()
        if interrupted:
            text = "\n\n".join(p for p in (self.shown.strip(), " ".join(self.playback.spoken)) if p)
        return await self.turn.keep(prepared, text, interrupted)


@dataclass
class Timings:
    speech_ended: float = 0.0
    turn_ended: float = 0.0
    transcribed: float = 0.0


class Call:
    """A call's life from the answer to the hang-up. `listen` runs until the person's
    audio stops; `close` ends it from anywhere, once."""

    def __init__(
        self,
        rt: Runtime,
        user: User,
        chat_id: str,
        pc: RTCPeerConnection,
        vad: Vad,
        detector: TurnDetector,
        observers: CallObservers,
        on_closed: Callable[[Call], None],
    ) -> None:
        self.id = new_id()
        self.rt, self.user, self.chat_id, self.pc = rt, user, chat_id, pc
        self.vad, self.detector, self.observers = vad, detector, observers
        self.speaker = SpeakerTrack()
        self.channel: RTCDataChannel | None = None
        self._outbox: list[str] = []
        self._on_closed = on_closed
        self._tasks: set[asyncio.Task[Any]] = set()
        self._reply: asyncio.Task[None] | None = None
        self._playback: Playback | None = None
        self._keeper: CallTurn | None = None
        self._speculative: tuple[int, asyncio.Task[str]] | None = None
        self._transcribing: asyncio.Task[str] | None = None
        self._talked_over = False  # the current reply was already stopped
        # What was said in a turn talked over before it was asked: said with the next.
        self._carried = ""
        self._earlier: list[asyncio.Task[str]] = []
        self._closed = False
        self.ended = asyncio.Event()

    # events to the client

    def attach(self, channel: RTCDataChannel) -> None:
        if channel.label != CHANNEL or self.channel is not None:
            return
        self.channel = channel

        @channel.on("open")
        def flush() -> None:
            for message in self._outbox:
                channel.send(message)
            self._outbox.clear()

        if channel.readyState == "open":
            flush()

    def send(self, kind: str, **fields: Any) -> None:
        message = json.dumps({"type": kind, **fields}, ensure_ascii=False)
        if self.channel is not None and self.channel.readyState == "open":
            self.channel.send(message)
        else:
            self._outbox.append(message)

    # listening

    def listen(self, track: MediaStreamTrack) -> None:
        self._spawn(self._listen(track))

    async def _listen(self, track: MediaStreamTrack) -> None:
        self.send("listening")
        try:
            timeout = self.rt.settings.call_media_timeout_seconds
            async for chunk in microphone_chunks(track, timeout):
                self._hear(chunk)
        except MicrophoneEnded:
            log.info("a call's audio stopped; hanging up")
        finally:
            await self.close("gone")

    def _hear(self, chunk: np.ndarray) -> None:
        probability = self.vad.probability(chunk)
        cue = self.detector.feed(chunk, probability)
        replying = self._reply is not None and not self._reply.done() and not self._talked_over
        if replying and (cue is Cue.STARTED or probability >= BARGE_IN_PROBABILITY):
            self._barge_in()
        if cue is Cue.PAUSED:
            self._transcribe_speculatively()
        elif cue is Cue.ENDED:
            self._turn_ended()

    def _transcribe_speculatively(self) -> None:
        """Start on what was said before the pause: if nothing more is said, it is the
        final transcript by the time the turn ends."""
        covered = self.detector.said_chunks()
        if self._speculative is not None and self._speculative[0] == covered:
            return
        task = asyncio.create_task(self._transcribe(self.detector.said()))
        self._speculative = (covered, task)

    async def _transcribe(self, samples: np.ndarray) -> str:
        return " ".join((await self.rt.voice.transcribe(Pcm(samples, SPEECH_RATE))).split())

    def _turn_ended(self) -> None:
        now = time.perf_counter()
        timings = Timings(
            speech_ended=now - self.detector.silence_seconds() + CHUNK_SECONDS, turn_ended=now
        )
        covered = self.detector.said_chunks()
        speculative, self._speculative = self._speculative, None
        if speculative is not None and speculative[0] == covered:
            transcript = speculative[1]
        else:
            if speculative is not None:
                speculative[1].cancel()
            transcript = asyncio.create_task(self._transcribe(self.detector.said()))
        self._reply = self._spawn(self._answer(transcript, timings))

    # answering

    async def _answer(self, transcribing: asyncio.Task[str], timings: Timings) -> None:
        self._playback = self._keeper = None
        self._talked_over = False
        self._transcribing = transcribing
        try:
            parts = [self._carried, *[await t for t in self._earlier], await transcribing]
        except DomainError as error:
            self.send("error", code=error.code, message=error.message)
            return
        self._earlier = []
        timings.transcribed = time.perf_counter()
        heard = self._carried = " ".join(p for p in parts if p)
        if not heard:
            self.send("listening")
            return
        self.send("transcript", text=heard, final=True)
        self.send("thinking")
        playback = Playback(self.rt, self.speaker, lambda: self._first_audio(timings, playback))
        keeper = CallTurn(ChatTurn.draft(self.rt, self.user, self.chat_id, heard), playback)
        self._playback, self._keeper = playback, keeper
        events = converse(self.rt, Ask(self.user, heard, "call", chat_id=self.chat_id), keeper)
        try:
            await self._follow(events, playback, keeper)
        finally:
            await events.aclose()
        self.send("listening")

    async def _follow(self, events: Any, playback: Playback, keeper: CallTurn) -> None:
        async for event in events:
            if not isinstance(event, Crisis):
                self._carried = ""  # asked: from here a cut-short reply keeps the turn
            if isinstance(event, Crisis):
                keeper.shown = event.resources
                self.send("crisis", resources=event.resources, severity=event.severity)
                playback.say(responses.spoken_pointer(self.user.preferences.get("language")))
            elif isinstance(event, Delta):
                text = event.text
                if keeper.shown and text.startswith(keeper.shown):
                    text = text[len(keeper.shown) :].lstrip()
                if text:
                    self.send("delta", text=text)
                    playback.write(text)
            elif isinstance(event, Failed):
                self.send("error", code=event.error.code, message=event.error.message)
                playback.finish_writing()
            elif isinstance(event, Replied):
                self.send("replied", messageId=event.kept.id, interrupted=event.kept.interrupted)

    def _first_audio(self, timings: Timings, playback: Playback) -> None:
        now = time.perf_counter()
        first = playback.first_sentence_at or now
        self.observers.first_audio(now - timings.turn_ended)
        self.observers.voice_to_voice(now - timings.speech_ended)
        self.send(
            "speaking",
            timings={
                "endOfTurnMs": _ms(timings.turn_ended - timings.speech_ended),
                "transcribeMs": _ms(max(0.0, timings.transcribed - timings.turn_ended)),
                "firstSentenceMs": _ms(max(0.0, first - timings.transcribed)),
                "synthesisMs": _ms(playback.synthesis_seconds),
                "responseMs": _ms(now - timings.turn_ended),
            },
        )

    def _barge_in(self) -> None:
        """The person talks over the reply: its audio stops now; a reply still being
        written is cancelled, and kept as far as it was heard."""
        self.observers.barge_in()
        self._talked_over = True
        if self._playback is not None:
            self._playback.barge_in()
        elif self._transcribing is not None and self._transcribing not in self._earlier:
            self._earlier.append(self._transcribing)  # not asked yet: heard with what's next
        keeper = self._keeper
        if self._reply is not None and not (keeper is not None and keeper.keeping):
            self._reply.cancel()
        self.send("listening", interrupted=True)

    # ending

    def _spawn(self, work: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("a call's task failed", exc_info=error)

    async def close(self, reason: str) -> None:
        if self._closed:
            return
        self._closed = True
        self.send("ended", reason=reason)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for task in list(self._tasks):
            if task is not current:
                with contextlib.suppress(BaseException):
                    await task
        if self._speculative is not None:
            self._speculative[1].cancel()
        self.speaker.stop()
        await asyncio.sleep(0.05)  # lets "ended" leave before the transport closes
        await self.pc.close()
        self._on_closed(self)
        self.ended.set()
