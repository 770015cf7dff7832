"""Speech for tests: espeak-ng says a sentence, PyAV re-encodes it in any container."""

from __future__ import annotations

import io
import subprocess

import av
import numpy as np

from confidant.voice.audio import Pcm, to_wav

VOICE = "en-us+klatt2"
WORDS_PER_MINUTE = "160"

# Short commands, clearly spoken, with the words the offline engine must catch in each.
COMMANDS: list[tuple[str, set[str]]] = [
    ("I feel tired today", {"tired", "today"}),
    ("today was a good day", {"today", "good"}),
    ("tell me a story", {"story"}),
    ("I feel sad", {"sad"}),
    ("play some music", {"music"}),
    ("open my journal", {"journal"}),
    ("call my sister", {"sister"}),
    ("I slept badly last night", {"badly", "night"}),
]


def spoken(text: str) -> bytes:
    """`text` said by espeak-ng, as a WAV file."""
    done = subprocess.run(
        ["espeak-ng", "--stdout", "-v", VOICE, "-s", WORDS_PER_MINUTE],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    return done.stdout


def silence_wav(seconds: float, rate: int = 16_000) -> bytes:
    return to_wav(Pcm(np.zeros(int(seconds * rate), np.int16), rate))


CODECS = {"webm": "libopus", "ogg": "libopus", "mp3": "libmp3lame", "mp4": "aac"}


def reencoded(wav: bytes, container_format: str) -> bytes:
    """The WAV's audio in another container and codec (webm, ogg, mp3, mp4)."""
    codec = CODECS[container_format]
    out = io.BytesIO()
    with av.open(io.BytesIO(wav)) as source, av.open(out, "w", format=container_format) as sink:
        rate = 48_000 if codec == "libopus" else 44_100
        stream = sink.add_stream(codec, rate=rate, layout="mono")
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=rate)
        for frame in source.decode(audio=0):
            for converted in resampler.resample(frame):
                sink.mux(stream.encode(converted))
        for converted in resampler.resample(None):
            sink.mux(stream.encode(converted))
        sink.mux(stream.encode(None))
    return out.getvalue()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length."""
    ref, hyp = reference.lower().split(), hypothesis.lower().split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, heard in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != heard))
    return row[-1] / max(1, len(ref))
