"""A caller for tests and the benchmark: a real aiortc peer whose microphone plays what
it is told to say (silence otherwise, paced like a real microphone), which records the
companion's voice frame by frame and collects the events from the `events` channel."""

from __future__ import annotations

import asyncio
import fractions
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame
from av.audio.resampler import AudioResampler

from confidant.voice import audio

RATE = 48_000
FRAME = RATE // 50  # 20 ms
SILENT_RMS = 100.0  # int16 RMS under which a received frame counts as silence
SPEECH_LEVEL = 1000  # |sample| above which a clip's speech has begun


class Microphone(MediaStreamTrack):
    """Plays queued speech in real time, then silence, like a microphone in a quiet room.
    It notes when the speech itself (not the quiet around it) starts and ends going out."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[np.ndarray] = deque()
        self._current = np.zeros(0, np.int16)
        self._onset = self._offset = 0  # where the speech is in the current clip
        self._pts = 0
        self._started: float | None = None
        self.speech_started_at: float | None = None
        self.speech_ended_at: float | None = None

    def say(self, wav: bytes) -> float:
        """Queue a WAV; returns its length in seconds."""
        pcm = audio.resample(audio.decode(wav, 120).pcm, RATE)
        self._queue.append(pcm.samples)
        return pcm.seconds

    def _next_clip(self) -> None:
        self._current = self._queue.popleft()
        loud = np.flatnonzero(np.abs(self._current) > SPEECH_LEVEL)
        self._onset, self._offset = (int(loud[0]), int(loud[-1])) if len(loud) else (0, 0)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._started is None:
            self._started = time.monotonic()
        wait = self._started + self._pts / RATE - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        out = np.zeros(FRAME, np.int16)
        filled = 0
        while filled < FRAME and (len(self._current) or self._queue):
            if not len(self._current):
                self._next_clip()
            take = min(FRAME - filled, len(self._current))
            out[filled : filled + take] = self._current[:take]
            if self._onset < take and self._onset >= 0:
                self.speech_started_at = time.perf_counter()
            if self._offset < take and self._offset >= 0:
                self.speech_ended_at = time.perf_counter()
            self._onset, self._offset = self._onset - take, self._offset - take
            self._current = self._current[take:]
            filled += take
        frame = AudioFrame.from_ndarray(out.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE)
        self._pts += FRAME
        return frame


@dataclass
class Heard:
    at: float  # perf_counter when the frame arrived
    rms: float


@dataclass
class Caller:
    pc: RTCPeerConnection
    mic: Microphone
    events: list[dict[str, Any]] = field(default_factory=list)
    heard: list[Heard] = field(default_factory=list)
    call_id: str | None = None
    _new_event: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    async def offer(cls) -> tuple[Caller, str]:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        caller = cls(pc, Microphone())
        channel = pc.createDataChannel("events")

        @channel.on("message")
        def on_message(message: str) -> None:
            caller.events.append({**json.loads(message), "at": time.perf_counter()})
            caller._new_event.set()

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            caller._tasks.append(asyncio.create_task(caller._record(track)))

        pc.addTrack(caller.mic)
        await pc.setLocalDescription(await pc.createOffer())
        return caller, pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp, "answer"))

    async def _record(self, track: MediaStreamTrack) -> None:
        resampler = AudioResampler(format="s16", layout="mono", rate=RATE)
        try:
            while True:
                frame = await track.recv()
                at = time.perf_counter()
                for converted in resampler.resample(frame):  # type: ignore[arg-type]
                    samples = converted.to_ndarray().reshape(-1).astype(np.float64)
                    self.heard.append(Heard(at, float(np.sqrt(np.mean(samples**2)))))
        except MediaStreamError:
            pass

    async def event(
        self, kind: str, timeout: float = 60, after: int = 0, **match: Any
    ) -> dict[str, Any]:
        """The first event of `kind` (with these fields) from index `after` on."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[after:]:
                if event["type"] == kind and all(event.get(k) == v for k, v in match.items()):
                    return event
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind!r} event in {timeout} s; got {self.events}")
            self._new_event.clear()
            try:
                await asyncio.wait_for(self._new_event.wait(), left)
            except TimeoutError:
                pass

    def first_sound_after(self, since: float) -> float | None:
        return next((h.at for h in self.heard if h.at >= since and h.rms > SILENT_RMS), None)

    def last_sound(self) -> float | None:
        return next((h.at for h in reversed(self.heard) if h.rms > SILENT_RMS), None)

    def silent_since(self, since: float) -> bool:
        return all(h.rms <= SILENT_RMS for h in self.heard if h.at >= since)

    async def close(self) -> None:
        await self.pc.close()
        for task in self._tasks:
            task.cancel()


async def call(http: httpx.AsyncClient, headers: dict[str, str], chat_id: str) -> Caller:
    """Dial: the offer, the server's answer applied, the call connected."""
    caller, sdp = await Caller.offer()
    response = await http.post(
        "/api/calls", json={"chatId": chat_id, "type": "offer", "sdp": sdp}, headers=headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sdp"].endswith("\r\n"), "browsers refuse an SDP without its last CRLF"
    caller.call_id = body["callId"]
    await caller.answer(body["sdp"])
    await caller.event("listening", timeout=30)
    return caller
