"""A recording arriving over a WebSocket in binary chunks, between a start and an end."""

from __future__ import annotations

from confidant.kit.errors import InvalidInput, PayloadTooLarge
from confidant.voice.audio import ReplyFormat


class RecordingNotStarted(InvalidInput):
    code = "voice_not_started"

    def __init__(self) -> None:
        super().__init__("Send a voice.start frame before the audio")


class IncomingRecording:
    def __init__(self, reply_format: ReplyFormat, limit: int) -> None:
        self.reply_format = reply_format
        self.limit = limit
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = False

    def add(self, chunk: bytes) -> None:
        """Keep a chunk; past the limit the recording is dropped, once, with a 413 error."""
        if self.overflowed:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            self.overflowed = True
            self.chunks.clear()
            raise PayloadTooLarge(f"Audio is larger than {self.limit} bytes")
        self.chunks.append(chunk)

    def audio(self) -> bytes:
        return b"".join(self.chunks)
