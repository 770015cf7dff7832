"""The microphone reader ends when its call is cancelled, however busy the track is."""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
from aiortc import MediaStreamTrack
from av import AudioFrame

from confidant.calls.media import microphone_chunks

RATE, FRAME = 48_000, 960


class EverReadyTrack(MediaStreamTrack):
    """A track whose next frame is always there: each recv finishes at the next turn of
    the loop, so a cancellation keeps arriving just as a frame does."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.pts = 0

    async def recv(self) -> AudioFrame:
        await asyncio.sleep(0)
        frame = AudioFrame.from_ndarray(np.zeros((1, FRAME), np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.pts = RATE, self.pts
        frame.time_base = fractions.Fraction(1, RATE)
        self.pts += FRAME
        return frame


async def test_a_cancelled_listener_stops_even_while_audio_keeps_coming() -> None:
    async def listen(track: MediaStreamTrack) -> None:
        async for _ in microphone_chunks(track, timeout=30):
            pass

    for attempt in range(50):  # the race is per cancellation: try it many times
        listener = asyncio.create_task(listen(EverReadyTrack()))
        for _ in range(attempt % 7 + 1):
            await asyncio.sleep(0)
        listener.cancel()
        done, _ = await asyncio.wait({listener}, timeout=2)
        assert done, f"attempt {attempt}: the cancelled listener is still listening"
        assert listener.cancelled()
