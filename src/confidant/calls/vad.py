"""Voice activity detection on 16 kHz speech, one 32 ms chunk at a time.

Silero VAD (the ONNX model faster-whisper ships, so nothing extra is installed or
downloaded) is the default; the energy check is the simple fallback it is measured
against in `bench/call.py`.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

CHUNK = 512  # samples at 16 kHz: 32 ms, the step Silero VAD was trained on
CONTEXT = 64  # samples of the previous chunk Silero reads with each one
VadKind = Literal["silero", "energy"]


class Vad(Protocol):
    def probability(self, chunk: np.ndarray) -> float:
        """How likely these CHUNK int16 samples hold speech, 0..1."""


@cache
def _silero_session() -> Any:
    import faster_whisper
    import onnxruntime

    model = Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"
    options = onnxruntime.SessionOptions()
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = 1
    options.log_severity_level = 4
    return onnxruntime.InferenceSession(
        str(model), sess_options=options, providers=["CPUExecutionProvider"]
    )


_session_lock = threading.Lock()


class SileroVad:
    """One call's stream: the model is shared, its recurrent state is this call's."""

    def __init__(self) -> None:
        with _session_lock:
            self._session = _silero_session()
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)

    def probability(self, chunk: np.ndarray) -> float:
        audio = chunk.astype(np.float32) / 32768.0
        window = np.concatenate([self._context, audio]).reshape(1, -1)
        probs, self._h, self._c = self._session.run(
            None, {"input": window, "h": self._h, "c": self._c}
        )
        self._context = audio[-CONTEXT:]
        return float(np.asarray(probs).reshape(-1)[0])


class EnergyVad:
    """Loud enough above a fixed floor counts as speech: cheap, fooled by any noise."""

    def __init__(self, threshold_dbfs: float = -42.0) -> None:
        self.threshold_dbfs = threshold_dbfs

    def probability(self, chunk: np.ndarray) -> float:
        power = np.mean((chunk.astype(np.float64) / 32768.0) ** 2) + 1e-12
        return 1.0 if 10 * np.log10(power) > self.threshold_dbfs else 0.0


def make_vad(kind: VadKind) -> Vad:
    return SileroVad() if kind == "silero" else EnergyVad()


def preload(kind: VadKind) -> None:
    """Load the model now (in a thread at start-up), not at the first call's first word."""
    if kind == "silero":
        SileroVad()
