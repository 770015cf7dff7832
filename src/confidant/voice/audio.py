"""Audio in and out: decode what clients record, detect speech, encode what we speak.

Everything in between is 16-bit mono PCM held in a numpy array with its sample rate.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Literal

import av
import numpy as np
from av.audio.resampler import AudioResampler

from confidant.kit.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

SPEECH_RATE = 16_000  # what speech-to-text engines listen at
OPUS_RATE = 48_000
OPUS_SPEECH_BITS_PER_SECOND = 32_000

# libavformat demuxers for WAV, WebM, Ogg, MP3 and M4A. Naming them is also what keeps
# ffmpeg from following playlists (hls, concat) that could open other files.
DEMUXERS = "wav,matroska,webm,ogg,mp3,mov,mp4,m4a,3gp,3g2,mj2"

CONTAINER_TYPES = {
    "wav": "audio/wav",
    "matroska,webm": "audio/webm",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
}

ReplyFormat = Literal["wav", "ogg"]
CONTENT_TYPES: dict[ReplyFormat, str] = {"wav": "audio/wav", "ogg": "audio/ogg"}


@dataclass(frozen=True)
class Pcm:
    samples: np.ndarray  # int16, mono
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @staticmethod
    def join(parts: list[Pcm]) -> Pcm:
        rate = parts[0].rate if parts else SPEECH_RATE
        arrays = [resample(part, rate).samples for part in parts]
        return Pcm(np.concatenate(arrays) if arrays else np.zeros(0, np.int16), rate)


@dataclass(frozen=True)
class Recording:
    pcm: Pcm
    content_type: str  # of the container as uploaded


class UnsupportedAudio(UnsupportedMediaType):
    code = "unsupported_audio"


class CorruptAudio(InvalidInput):
    code = "corrupt_audio"


class AudioTooLong(PayloadTooLarge):
    code = "audio_too_long"


def decode(data: bytes, max_seconds: float) -> Recording:
    """The recording as 16 kHz mono PCM; refuses other formats, damage and long audio."""
    try:
        container = av.open(io.BytesIO(data), "r", options={"format_whitelist": DEMUXERS})
    except (av.FFmpegError, ValueError) as error:
        raise UnsupportedAudio("Audio must be WAV, WebM/Opus, Ogg/Opus, MP3 or M4A") from error
    with container:
        if not container.streams.audio:
            raise CorruptAudio("The file holds no audio stream")
        if container.duration is not None and container.duration / 1_000_000 > max_seconds:
            raise _too_long(max_seconds)
        content_type = CONTAINER_TYPES.get(container.format.name, "application/octet-stream")
        return Recording(_decode_stream(container, max_seconds), content_type)


def _decode_stream(container: av.container.InputContainer, max_seconds: float) -> Pcm:
    resampler = AudioResampler(format="s16", layout="mono", rate=SPEECH_RATE)
    limit = int(max_seconds * SPEECH_RATE)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        for frame in container.decode(audio=0):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                total += out.samples
            if total > limit:
                raise _too_long(max_seconds)
        chunks.extend(out.to_ndarray().reshape(-1) for out in resampler.resample(None))
    except av.FFmpegError as error:
        raise CorruptAudio("The audio could not be decoded") from error
    if not chunks:
        raise CorruptAudio("The audio holds no samples")
    return Pcm(np.concatenate(chunks).astype(np.int16, copy=False), SPEECH_RATE)


def _too_long(max_seconds: float) -> AudioTooLong:
    return AudioTooLong(f"Audio is longer than {max_seconds:g} seconds")


def has_speech(pcm: Pcm, min_speech_seconds: float = 0.15) -> bool:
    """Whether enough 30 ms frames stand clearly above both silence and the noise floor."""
    frame = int(pcm.rate * 0.03)
    frames = len(pcm.samples) // frame
    if frames == 0:
        return False
    blocks = pcm.samples[: frames * frame].astype(np.float64).reshape(frames, frame) / 32768.0
    level = 10 * np.log10(np.mean(blocks**2, axis=1) + 1e-12)  # dBFS per frame
    floor = float(np.percentile(level, 10))
    loud = level > max(-50.0, floor + 10.0)
    return bool(loud.sum() * 0.03 >= min_speech_seconds)


def resample(pcm: Pcm, rate: int) -> Pcm:
    if pcm.rate == rate or len(pcm.samples) == 0:
        return Pcm(pcm.samples, rate)
    frame = av.AudioFrame.from_ndarray(pcm.samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = pcm.rate
    resampler = AudioResampler(format="s16", layout="mono", rate=rate)
    parts = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return Pcm(np.concatenate(parts).astype(np.int16, copy=False), rate)


def encode(pcm: Pcm, fmt: ReplyFormat) -> bytes:
    if len(pcm.samples) == 0:  # nothing said: a valid file of a moment's silence
        pcm = Pcm(np.zeros(pcm.rate // 50, np.int16), pcm.rate)
    return to_wav(pcm) if fmt == "wav" else to_ogg_opus(pcm)


def to_wav(pcm: Pcm) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(pcm.rate)
        out.writeframes(pcm.samples.astype("<i2").tobytes())
    return buffer.getvalue()


def to_ogg_opus(pcm: Pcm) -> bytes:
    pcm = resample(pcm, OPUS_RATE)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = OPUS_SPEECH_BITS_PER_SECOND
        frame = av.AudioFrame.from_ndarray(pcm.samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = OPUS_RATE
        frame.pts = 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()
