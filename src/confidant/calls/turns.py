"""Turn-taking: from voice activity, when the person starts speaking, pauses, and has
finished their turn. Pure logic over 32 ms chunks, so it is tested without audio."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from confidant.calls.vad import CHUNK

RATE = 16_000
CHUNK_SECONDS = CHUNK / RATE
SPEECH_ON = 0.5  # probability at which a chunk is speech
SPEECH_OFF = 0.35  # and below which it is silence again (hysteresis)
PRE_ROLL_SECONDS = 0.3  # audio kept from before speech was confirmed: the first syllable
PAUSE_SECONDS = 0.25  # a silence this long is a pause: transcription starts speculatively
PATIENT_PAUSE_SECONDS = 3.0  # "never interrupt me": the turn ends after at least this
MAX_TURN_SECONDS = 60.0  # a turn this long ends even without a pause


class Cue(Enum):
    STARTED = "started"  # speech confirmed: a new turn, or a barge-in while speaking
    PAUSED = "paused"  # a short silence: what was said so far can be transcribed
    ENDED = "ended"  # the pause was long enough: the turn is over


@dataclass
class TurnDetector:
    """`end_of_turn_seconds` is the person's pause tolerance; `min_speech_seconds` is how
    much speech confirms that they are talking (and interrupts the companion)."""

    end_of_turn_seconds: float = 0.8
    min_speech_seconds: float = 0.06  # two chunks: barge-in stops the voice within ~0.1 s
    _pre_roll: list[np.ndarray] = field(default_factory=list)
    _turn: list[np.ndarray] = field(default_factory=list)
    _speech_run: int = 0  # consecutive speech chunks
    _silence_run: int = 0  # consecutive silent chunks since the last speech
    _speaking: bool = False  # a turn is under way
    _paused: bool = False
    _last_speech_chunk: int = 0  # how many chunks of the turn end with speech

    @property
    def in_turn(self) -> bool:
        return self._speaking

    def feed(self, chunk: np.ndarray, probability: float) -> Cue | None:
        if not self._speaking:
            return self._idle(chunk, probability)
        self._turn.append(chunk)
        if probability >= SPEECH_ON or (probability >= SPEECH_OFF and self._silence_run == 0):
            self._silence_run = 0
            self._last_speech_chunk = len(self._turn)
            self._paused = False
        else:
            self._silence_run += 1
        silence = self._silence_run * CHUNK_SECONDS
        if (
            silence >= self.end_of_turn_seconds
            or len(self._turn) * CHUNK_SECONDS >= MAX_TURN_SECONDS
        ):
            self._speaking = False
            return Cue.ENDED
        if silence >= PAUSE_SECONDS and not self._paused:
            self._paused = True
            return Cue.PAUSED
        return None

    def _idle(self, chunk: np.ndarray, probability: float) -> Cue | None:
        self._pre_roll.append(chunk)
        keep = int(PRE_ROLL_SECONDS / CHUNK_SECONDS) + self._speech_run + 1
        del self._pre_roll[:-keep]
        self._speech_run = self._speech_run + 1 if probability >= SPEECH_ON else 0
        if self._speech_run * CHUNK_SECONDS < self.min_speech_seconds:
            return None
        self._speaking, self._paused, self._silence_run = True, False, 0
        self._turn, self._pre_roll, self._speech_run = self._pre_roll, [], 0
        self._last_speech_chunk = len(self._turn)
        return Cue.STARTED

    def said(self) -> np.ndarray:
        """The turn's audio up to its last speech, a little trailing silence included."""
        tail = int(PAUSE_SECONDS / CHUNK_SECONDS)
        chunks = self._turn[: self._last_speech_chunk + tail]
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)

    def said_chunks(self) -> int:
        """How much of the turn `said()` covers: a speculative transcript of it is final
        when no speech came after it."""
        return self._last_speech_chunk

    def silence_seconds(self) -> float:
        return self._silence_run * CHUNK_SECONDS


def end_of_turn_seconds(pause: float, never_interrupt: bool) -> float:
    return max(PATIENT_PAUSE_SECONDS, 2 * pause) if never_interrupt else pause
