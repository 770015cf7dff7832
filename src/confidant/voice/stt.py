"""Speech-to-text engines. Each turns 16 kHz mono PCM into text, blocking; the service
runs them in threads."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from confidant.voice.audio import SPEECH_RATE, Pcm

WHISPER_WINDOW_SECONDS = 30  # Whisper hears at most 30 s at a time


class SpeechToText(Protocol):
    name: str

    def transcribe(self, pcm: Pcm) -> str: ...


class PocketSphinx:
    """CMU PocketSphinx with the US English model its wheel ships: offline, small, rough."""

    name = "pocketsphinx"
    PADDING_SECONDS = 0.25  # its feature normalisation settles on leading silence

    def __init__(self, model_dir: str | None) -> None:
        from pocketsphinx import Decoder

        options: dict[str, Any] = {"samprate": SPEECH_RATE}
        if model_dir:
            options["hmm"] = model_dir
        self._make: Callable[[], Any] = lambda: Decoder(**options)
        self._idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._idle.put(self._make())  # fails now, not at the first request, when broken

    def transcribe(self, pcm: Pcm) -> str:
        # A decoder serves one utterance at a time; concurrent requests get their own.
        try:
            decoder = self._idle.get_nowait()
        except queue.Empty:
            decoder = self._make()
        try:
            pad = np.zeros(int(self.PADDING_SECONDS * SPEECH_RATE), np.int16)
            decoder.start_utt()
            decoder.process_raw(np.concatenate([pad, pcm.samples, pad]).tobytes(), full_utt=True)
            decoder.end_utt()
            hypothesis = decoder.hyp()
            return hypothesis.hypstr if hypothesis is not None else ""
        finally:
            self._idle.put(decoder)


class TransformersWhisper:
    """Any Whisper checkpoint (local folder or hub id) through transformers."""

    name = "whisper"

    def __init__(self, model: str, language: str, device: str) -> None:
        import torch
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        self._torch = torch
        self.processor = WhisperProcessor.from_pretrained(model)
        loaded = WhisperForConditionalGeneration.from_pretrained(model)
        self.model = loaded.to(torch.device(device)).eval()  # type: ignore[arg-type]  # stub bug
        self.language = language
        self.device = device
        self._lock = threading.Lock()

    def transcribe(self, pcm: Pcm) -> str:
        window = WHISPER_WINDOW_SECONDS * SPEECH_RATE
        audio = pcm.samples.astype(np.float32) / 32768.0
        windows = [audio[start : start + window] for start in range(0, len(audio), window)]
        return " ".join(filter(None, (self._window(w) for w in windows)))

    def _window(self, audio: np.ndarray) -> str:
        features = self.processor(audio, sampling_rate=SPEECH_RATE, return_tensors="pt")
        with self._lock, self._torch.inference_mode():
            ids = self.model.generate(
                features.input_features.to(self.device),
                language=self.language,
                task="transcribe",
                max_new_tokens=self.model.config.max_target_positions // 2,
            )
        texts = self.processor.batch_decode(ids, skip_special_tokens=True)  # type: ignore[no-untyped-call]
        return str(texts[0]).strip()


class FasterWhisper:
    """Whisper on CTranslate2: a converted checkpoint folder, or a size name already in
    the local cache (nothing is downloaded at run time)."""

    name = "faster-whisper"

    def __init__(self, model: str, language: str, device: str) -> None:
        from faster_whisper import WhisperModel

        compute_type = "int8" if device == "cpu" else "default"
        self.model = WhisperModel(
            model, device=device, compute_type=compute_type, local_files_only=True
        )
        self.language = language

    def transcribe(self, pcm: Pcm) -> str:
        audio = pcm.samples.astype(np.float32) / 32768.0
        segments, _ = self.model.transcribe(audio, language=self.language, vad_filter=False)
        return " ".join(segment.text.strip() for segment in segments).strip()
