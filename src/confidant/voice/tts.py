"""Text-to-speech engines. Each turns a sentence into mono PCM, blocking; the service
runs them in threads."""

from __future__ import annotations

import io
import subprocess
import threading
import wave
from typing import Protocol

import numpy as np

from confidant.voice.audio import Pcm


class TextToSpeech(Protocol):
    name: str

    def synthesize(self, text: str) -> Pcm: ...


class EngineFailed(Exception):
    """The engine ran but gave no audio."""


class EspeakNg:
    """The espeak-ng program: offline, instant, robotic."""

    name = "espeak-ng"

    def __init__(self, voice: str, words_per_minute: int, timeout: float) -> None:
        self.command = ["espeak-ng", "--stdout", "-v", voice, "-s", str(words_per_minute)]
        self.timeout = timeout
        # espeak-ng speaks an unknown voice with its default one: refuse it here instead.
        language, _, variant = voice.partition("+")
        if language.lower() not in self._names("--voices"):
            raise EngineFailed(f"espeak-ng has no voice {language!r}")
        if variant and variant.lower() not in self._names("--voices=variant"):
            raise EngineFailed(f"espeak-ng has no variant {variant!r}")
        self.synthesize("ok")

    def _names(self, listing: str) -> set[str]:
        """Languages, voice names and files (without folder) that a listing names."""
        done = subprocess.run(
            ["espeak-ng", listing], capture_output=True, timeout=self.timeout, check=True
        )
        names: set[str] = set()
        for row in done.stdout.decode(errors="replace").splitlines()[1:]:
            columns = row.split()
            if len(columns) >= 5:
                names.update(c.lower() for c in (columns[1], columns[3], columns[4].split("/")[-1]))
        return names

    def synthesize(self, text: str) -> Pcm:
        done = subprocess.run(
            self.command, input=text.encode(), capture_output=True, timeout=self.timeout
        )
        if done.returncode != 0 or not done.stdout:
            raise EngineFailed(done.stderr.decode(errors="replace").strip() or "no audio")
        # Writing to a pipe, espeak-ng cannot fill in the header's sizes: read what is there.
        with wave.open(io.BytesIO(done.stdout)) as stream:
            rate = stream.getframerate()
            frames = stream.readframes(stream.getnframes())
        return Pcm(np.frombuffer(frames[: len(frames) // 2 * 2], "<i2").astype(np.int16), rate)


class TransformersVits:
    """A VITS checkpoint through transformers (for example facebook/mms-tts-eng)."""

    name = "vits"

    def __init__(self, model: str, device: str) -> None:
        import torch
        from transformers import AutoTokenizer, VitsModel

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model)
        loaded = VitsModel.from_pretrained(model)
        self.model = loaded.to(torch.device(device)).eval()  # type: ignore[arg-type]  # stub bug
        self.device = device
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> Pcm:
        inputs = self.tokenizer(text, return_tensors="pt").to(self.device)
        if inputs["input_ids"].shape[-1] == 0:
            raise EngineFailed("nothing to say in this text")
        with self._lock, self._torch.inference_mode():
            waveform = self.model(**inputs).waveform[0].float().cpu().numpy()
        samples = (np.clip(waveform, -1.0, 1.0) * 32767).astype(np.int16)
        return Pcm(samples, int(self.model.config.sampling_rate))


class Piper:
    """A Piper voice (ONNX, on onnxruntime, with its own espeak-ng phonemizer): natural
    speech offline, several times faster than real time on a CPU."""

    name = "piper"

    def __init__(self, voice: str) -> None:
        from piper import PiperVoice

        self.voice = PiperVoice.load(voice)
        self._lock = threading.Lock()  # one ONNX session, one sentence at a time

    def synthesize(self, text: str) -> Pcm:
        with self._lock:
            chunks = list(self.voice.synthesize(text))
        if not chunks:
            raise EngineFailed("nothing to say in this text")
        waveform = np.concatenate([chunk.audio_float_array for chunk in chunks])
        samples = (np.clip(waveform, -1.0, 1.0) * 32767).astype(np.int16)
        return Pcm(samples, int(chunks[0].sample_rate))
