"""Decoding what clients record, detecting speech, encoding replies, cutting sentences."""

from __future__ import annotations

import numpy as np
import pytest

from confidant.voice import audio
from confidant.voice.audio import AudioTooLong, CorruptAudio, Pcm, UnsupportedAudio
from confidant.voice.recording import IncomingRecording
from confidant.voice.sentences import SentenceSplitter
from tests.voice.speech import reencoded, silence_wav, spoken


@pytest.fixture(scope="module")
def hello_wav() -> bytes:
    return spoken("hello there, how are you today")


@pytest.mark.parametrize(
    ("container", "content_type"),
    [("webm", "audio/webm"), ("ogg", "audio/ogg"), ("mp3", "audio/mpeg"), ("mp4", "audio/mp4")],
)
def test_every_accepted_format_decodes_to_the_same_speech(
    hello_wav: bytes, container: str, content_type: str
) -> None:
    reference = audio.decode(hello_wav, 300)
    recording = audio.decode(reencoded(hello_wav, container), 300)
    assert recording.content_type == content_type
    assert recording.pcm.rate == audio.SPEECH_RATE
    assert abs(recording.pcm.seconds - reference.pcm.seconds) < 0.1
    assert audio.has_speech(recording.pcm)


def test_wav_is_recognised(hello_wav: bytes) -> None:
    assert audio.decode(hello_wav, 300).content_type == "audio/wav"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is plain text, not audio at all" * 20,
        b"\x89PNG\r\n\x1a\n" + bytes(600),
        b"fLaC" + bytes(600),  # a real format, but not one we accept
        b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
    ],
)
def test_other_formats_are_unsupported(data: bytes) -> None:
    with pytest.raises(UnsupportedAudio) as refused:
        audio.decode(data, 300)
    assert refused.value.status_code == 415


def test_damaged_audio_is_corrupt(hello_wav: bytes) -> None:
    with pytest.raises(CorruptAudio) as refused:
        audio.decode(hello_wav[:44], 300)  # a header and no samples
    assert refused.value.status_code == 422


def test_audio_over_the_limit_is_too_long(hello_wav: bytes) -> None:
    with pytest.raises(AudioTooLong) as refused:
        audio.decode(hello_wav, 1.0)
    assert refused.value.status_code == 413
    # a stream whose header declares no length is cut off while decoding
    with pytest.raises(AudioTooLong):
        audio.decode(reencoded(hello_wav, "webm"), 1.0)


def test_speech_detection_tells_speech_from_silence_and_hiss(hello_wav: bytes) -> None:
    assert audio.has_speech(audio.decode(hello_wav, 300).pcm)
    assert not audio.has_speech(audio.decode(silence_wav(2), 300).pcm)
    hiss = (np.random.default_rng(0).standard_normal(32_000) * 30).astype(np.int16)
    assert not audio.has_speech(Pcm(hiss, 16_000))
    assert not audio.has_speech(Pcm(np.zeros(0, np.int16), 16_000))


@pytest.mark.parametrize("fmt", ["wav", "ogg"])
def test_encoded_replies_decode_back(hello_wav: bytes, fmt: audio.ReplyFormat) -> None:
    pcm = audio.decode(hello_wav, 300).pcm
    back = audio.decode(audio.encode(pcm, fmt), 300)
    assert back.content_type == audio.CONTENT_TYPES[fmt]
    assert abs(back.pcm.seconds - pcm.seconds) < 0.05
    empty = audio.encode(Pcm(np.zeros(0, np.int16), 22_050), fmt)
    assert empty  # a valid, silent file rather than nothing


def test_joining_resamples_to_the_first_rate() -> None:
    one = Pcm(np.ones(16_000, np.int16), 16_000)
    two = Pcm(np.ones(22_050, np.int16), 22_050)
    joined = Pcm.join([one, two])
    assert joined.rate == 16_000
    assert abs(joined.seconds - 2.0) < 0.01


def test_sentences_come_out_as_soon_as_they_end() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Hello there") == []
    assert splitter.feed(". How are") == ["Hello there."]
    assert splitter.feed(" you?\nFine") == ["How are you?"]
    assert splitter.feed("!  ...  ") == ["Fine!"]
    assert splitter.flush() == []  # dots alone are not worth saying


def test_long_runs_without_a_full_stop_are_cut_at_a_comma() -> None:
    splitter = SentenceSplitter()
    text = "word, " * 80
    parts = splitter.feed(text) + splitter.flush()
    assert len(parts) > 1
    assert all(len(part) <= 300 for part in parts)
    assert " ".join(parts).split() == text.split()


def test_an_incoming_recording_refuses_bytes_past_the_limit_once() -> None:
    recording = IncomingRecording("wav", limit=10)
    recording.add(b"12345")
    recording.add(b"67890")
    with pytest.raises(Exception, match="larger than 10 bytes"):
        recording.add(b"x")
    recording.add(b"more")  # ignored once over
    assert recording.overflowed
    assert recording.audio() == b""
