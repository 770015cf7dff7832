"""The call's audio over WebRTC: the person's microphone in 32 ms chunks at 16 kHz, and
the companion's voice out, paced in 20 ms Opus-sized frames, silence between sentences."""

from __future__ import annotations

import asyncio
import fractions
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import numpy as np
from aiortc import MediaStreamTrack
from av import AudioFrame
from av.audio.resampler import AudioResampler

from confidant.calls.vad import CHUNK
from confidant.voice.audio import Pcm, resample

OUT_RATE = 48_000
FRAME_SAMPLES = OUT_RATE // 50  # 20 ms
TIME_BASE = fractions.Fraction(1, OUT_RATE)


class MicrophoneEnded(Exception):
    """No audio for too long, or the track ended: the person is gone."""


async def microphone_chunks(track: MediaStreamTrack, timeout: float) -> AsyncIterator[np.ndarray]:
    """The incoming track as int16 16 kHz mono chunks of CHUNK samples."""
    resampler = AudioResampler(format="s16", layout="mono", rate=16_000)
    pending = np.zeros(0, np.int16)
    while True:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns the frame and
        # swallows the call's cancellation when both arrive together, and the listener
        # then kept listening to a hung-up call for as long as audio came in
        try:
            async with asyncio.timeout(timeout):
                frame = await track.recv()
        except Exception as error:  # MediaStreamError, a timeout: either way no more audio
            raise MicrophoneEnded() from error
        for converted in resampler.resample(frame):  # type: ignore[arg-type]
            pending = np.concatenate([pending, converted.to_ndarray().reshape(-1)])
        while len(pending) >= CHUNK:
            chunk, pending = pending[:CHUNK], pending[CHUNK:]
            yield chunk


@dataclass
class Segment:
    """A sentence's audio in the outgoing queue; `on_start` fires with its first frame."""

    samples: np.ndarray
    on_start: Callable[[], None] | None = None
    position: int = 0


class SpeakerTrack(MediaStreamTrack):
    """The companion's voice: what is queued plays in order, silence when nothing is.
    `stop_speaking` drops everything queued at once (barge-in)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._queue: deque[Segment] = deque()
        self._started: float | None = None
        self._pts = 0
        self._drained = asyncio.Event()
        self._drained.set()

    @property
    def speaking(self) -> bool:
        return bool(self._queue)

    def say(self, pcm: Pcm, on_start: Callable[[], None] | None = None) -> None:
        samples = resample(pcm, OUT_RATE).samples
        if len(samples):
            self._queue.append(Segment(samples, on_start))
            self._drained.clear()

    def stop_speaking(self) -> None:
        self._queue.clear()
        self._drained.set()

    async def drained(self) -> None:
        await self._drained.wait()

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            from aiortc.mediastreams import MediaStreamError

            raise MediaStreamError
        if self._started is None:
            self._started = time.monotonic()
        else:
            wait = self._started + self._pts / OUT_RATE - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        frame = AudioFrame.from_ndarray(
            self._next_samples().reshape(1, -1), format="s16", layout="mono"
        )
        frame.sample_rate = OUT_RATE
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self._pts += FRAME_SAMPLES
        return frame

    def _next_samples(self) -> np.ndarray:
        out = np.zeros(FRAME_SAMPLES, np.int16)
        filled = 0
        while filled < FRAME_SAMPLES and self._queue:
            segment = self._queue[0]
            if segment.position == 0 and segment.on_start is not None:
                segment.on_start()
            take = min(FRAME_SAMPLES - filled, len(segment.samples) - segment.position)
            out[filled : filled + take] = segment.samples[
                segment.position : segment.position + take
            ]
            segment.position += take
            filled += take
            if segment.position >= len(segment.samples):
                self._queue.popleft()
        if not self._queue:
            self._drained.set()
        return out
