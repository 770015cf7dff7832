"""Each engine through the code that loads it from the settings: espeak-ng speaks known
sentences and every speech-to-text engine transcribes them back."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from confidant.voice import audio
from confidant.voice.engines import VoiceEngines, VoiceEngineUnavailable
from tests.conftest import make_settings
from tests.voice.speech import COMMANDS, spoken, word_error_rate


def engines(tmp_path: Path, **voice: Any) -> VoiceEngines:
    return VoiceEngines(make_settings(tmp_path, **voice))


@pytest.fixture(scope="module")
def commands() -> list[tuple[str, set[str], audio.Pcm]]:
    return [(text, words, audio.decode(spoken(text), 300).pcm) for text, words in COMMANDS]


async def transcripts(voice: VoiceEngines, commands: list[Any]) -> list[str]:
    return [await voice.transcribe(pcm) for _, _, pcm in commands]


def report(engine: str, commands: list[Any], heard: list[str]) -> float:
    rates = [
        word_error_rate(text, said) for (text, _, _), said in zip(commands, heard, strict=True)
    ]
    mean = sum(rates) / len(rates)
    print(f"\nword error rate, espeak-ng round trip, {engine}: {mean:.2f}")
    for (text, _, _), said, rate in zip(commands, heard, rates, strict=True):
        print(f"  {rate:.2f}  {text!r} -> {said[:60]!r}")
    return mean


async def test_pocketsphinx_recognises_the_key_words_of_spoken_commands(
    tmp_path: Path, commands: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    voice = engines(tmp_path)
    assert voice.stt_name == "pocketsphinx"
    heard = await transcripts(voice, commands)
    with capsys.disabled():
        mean = report("pocketsphinx", commands, heard)
    missed = [
        (text, words - set(said.split()))
        for (text, words, _), said in zip(commands, heard, strict=True)
        if not words <= set(said.split())
    ]
    assert not missed, missed
    assert mean < 0.5


@pytest.mark.parametrize("engine", ["whisper", "faster-whisper"])
async def test_whisper_engines_load_a_local_checkpoint_and_transcribe(
    tmp_path: Path,
    commands: list[Any],
    engine: str,
    tiny_whisper_dir: Path,
    tiny_faster_whisper_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = tiny_whisper_dir if engine == "whisper" else tiny_faster_whisper_dir
    voice = engines(tmp_path, voice_stt_engine=engine, voice_stt_model=str(model))
    heard = await transcripts(voice, commands[:2])
    with capsys.disabled():
        report(f"{engine} (tiny, random weights: only the path is real)", commands[:2], heard)
    assert all(isinstance(said, str) and said for said in heard)
    sentence = audio.decode(spoken("one two three four five six seven " * 10), 300).pcm
    long = audio.Pcm(np.tile(sentence.samples, 2), sentence.rate)
    assert long.seconds > 30  # Whisper hears 30 s at a time: longer audio is windowed
    assert await voice.transcribe(long)


async def test_espeak_ng_speaks_and_vits_loads_a_local_checkpoint(
    tmp_path: Path, tiny_vits_dir: Path
) -> None:
    espeak = await engines(tmp_path).synthesize("Hello, how was your day?")
    assert espeak.seconds > 0.5
    assert audio.has_speech(audio.resample(espeak, audio.SPEECH_RATE))
    vits = engines(tmp_path, voice_tts_engine="vits", voice_tts_model=str(tiny_vits_dir))
    said = await vits.synthesize("hello there")
    assert said.rate == 16_000
    assert said.seconds > 0


@pytest.mark.parametrize(
    ("setting", "engine"),
    [
        ({"voice_stt_engine": "whisper", "voice_stt_model": "/no/such/whisper"}, "whisper"),
        (
            {"voice_stt_engine": "faster-whisper", "voice_stt_model": "/no/such/ct2"},
            "faster-whisper",
        ),
        ({"voice_tts_engine": "vits", "voice_tts_model": "/no/such/vits"}, "vits"),
        ({"voice_tts_voice": "no-such-voice"}, "espeak-ng"),
    ],
)
async def test_a_broken_engine_is_a_503_naming_it(
    tmp_path: Path, setting: dict[str, str], engine: str
) -> None:
    voice = engines(tmp_path, **setting)
    with pytest.raises(VoiceEngineUnavailable) as failed:
        await voice.ready()
    assert failed.value.status_code == 503
    assert failed.value.details == {"engine": engine}
    assert engine in failed.value.message


async def test_a_stuck_engine_is_a_503_within_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = tmp_path / "bin" / "espeak-ng"  # stands in for an engine that never answers
    stuck.parent.mkdir()
    stuck.write_text("#!/bin/sh\nsleep 30\n")
    stuck.chmod(0o755)
    monkeypatch.setenv("PATH", f"{stuck.parent}{os.pathsep}{os.environ['PATH']}")
    voice = engines(tmp_path, voice_engine_timeout_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(VoiceEngineUnavailable) as failed:
        await voice.synthesize("hello")
    assert time.monotonic() - started < 10
    assert failed.value.details == {"engine": "espeak-ng"}


def test_engines_that_need_a_model_refuse_to_start_without_one(tmp_path: Path) -> None:
    for setting in ({"voice_stt_engine": "whisper"}, {"voice_tts_engine": "vits"}):
        with pytest.raises(ValueError, match="MODEL is needed"):
            make_settings(tmp_path, **setting)
