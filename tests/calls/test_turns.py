"""Turn-taking without audio: cues from voice-activity probabilities, chunk by chunk;
and Silero VAD telling speech from silence and noise."""

from __future__ import annotations

import numpy as np

from confidant.calls.turns import (
    CHUNK_SECONDS,
    PATIENT_PAUSE_SECONDS,
    Cue,
    TurnDetector,
    end_of_turn_seconds,
)
from confidant.calls.vad import CHUNK, EnergyVad, SileroVad
from confidant.voice import audio
from tests.voice.speech import spoken


def chunks(seconds: float) -> int:
    return round(seconds / CHUNK_SECONDS)


def feed(detector: TurnDetector, probability: float, count: int) -> list[tuple[int, Cue]]:
    cues = []
    for index in range(count):
        cue = detector.feed(np.full(CHUNK, index, np.int16), probability)
        if cue is not None:
            cues.append((index, cue))
    return cues


def test_a_turn_starts_pauses_and_ends_on_the_persons_pause() -> None:
    detector = TurnDetector(end_of_turn_seconds=0.8)
    assert feed(detector, 0.0, 20) == []
    assert feed(detector, 0.9, 40) == [(1, Cue.STARTED)]  # two chunks confirm speech
    cues = feed(detector, 0.05, 40)
    assert [cue for _, cue in cues] == [Cue.PAUSED, Cue.ENDED]
    assert cues[0][0] + 1 == chunks(0.25)
    assert cues[1][0] + 1 == chunks(0.8)
    said = detector.said()
    # the pre-roll before speech was confirmed, the speech, a little of the pause
    assert len(said) > 40 * CHUNK
    assert len(said) < (40 + chunks(0.3) + chunks(0.25) + 3) * CHUNK


def test_a_click_is_not_a_turn_and_speech_after_a_pause_continues_it() -> None:
    detector = TurnDetector(end_of_turn_seconds=0.8)
    assert feed(detector, 0.9, 1) == []
    assert feed(detector, 0.0, 5) == []
    assert feed(detector, 0.9, 10) == [(1, Cue.STARTED)]
    assert [cue for _, cue in feed(detector, 0.0, chunks(0.5))] == [Cue.PAUSED]
    covered = detector.said_chunks()
    assert feed(detector, 0.9, 10) == []  # still the same turn
    assert detector.said_chunks() > covered  # an earlier speculative transcript is stale
    assert [cue for _, cue in feed(detector, 0.0, chunks(0.9))] == [Cue.PAUSED, Cue.ENDED]


def test_never_interrupt_waits_for_a_long_pause() -> None:
    assert end_of_turn_seconds(0.8, never_interrupt=False) == 0.8
    assert end_of_turn_seconds(0.8, never_interrupt=True) == PATIENT_PAUSE_SECONDS
    assert end_of_turn_seconds(2.0, never_interrupt=True) == 4.0
    detector = TurnDetector(end_of_turn_seconds=end_of_turn_seconds(0.8, True))
    feed(detector, 0.9, 10)
    assert [cue for _, cue in feed(detector, 0.0, chunks(2.5))] == [Cue.PAUSED]
    assert [cue for _, cue in feed(detector, 0.0, chunks(1.0))] == [Cue.ENDED]


def probabilities(vad: SileroVad | EnergyVad, samples: np.ndarray) -> list[float]:
    return [vad.probability(samples[i : i + CHUNK]) for i in range(0, len(samples) - CHUNK, CHUNK)]


def test_silero_hears_speech_and_not_silence_or_noise() -> None:
    speech = audio.resample(audio.decode(spoken("I feel tired today"), 30).pcm, 16_000).samples
    heard = probabilities(SileroVad(), speech)
    assert max(heard) > 0.8
    assert max(probabilities(SileroVad(), np.zeros(16_000, np.int16))) < 0.2
    noise = np.random.default_rng(1).normal(0, 800, 16_000).astype(np.int16)
    assert np.mean(probabilities(SileroVad(), noise)) < 0.3
    assert np.mean(probabilities(EnergyVad(), noise)) == 1.0  # the energy check is fooled
