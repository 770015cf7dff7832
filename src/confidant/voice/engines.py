"""The configured speech engines, loaded once per process and called off the event loop
with a deadline, so a stuck or broken engine answers 503 instead of hanging."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from confidant.config import BUNDLED_STT_MODEL, BUNDLED_TTS_VOICE, Settings
from confidant.kit.errors import DomainError
from confidant.voice import bundled as voice_bundled
from confidant.voice.audio import Pcm
from confidant.voice.stt import FasterWhisper, PocketSphinx, SpeechToText, TransformersWhisper
from confidant.voice.telemetry import VoiceObservers
from confidant.voice.tts import EngineFailed, EspeakNg, Piper, TextToSpeech, TransformersVits

log = logging.getLogger(__name__)

T = TypeVar("T")


class VoiceEngineUnavailable(DomainError):
    status_code = 503
    code = "voice_engine_unavailable"


class VoiceEngines:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stt: SpeechToText | None = None
        self._tts: TextToSpeech | None = None
        self._loading = threading.Lock()
        self.observers = VoiceObservers()  # this process's voice turns, told as they end

    @property
    def stt_name(self) -> str:
        return self.settings.voice_stt_engine

    @property
    def tts_name(self) -> str:
        return self.settings.voice_tts_engine

    async def transcribe(self, pcm: Pcm) -> str:
        stt = await self._call(self.stt_name, self._speech_to_text)
        return await self._call(self.stt_name, stt.transcribe, pcm)

    async def synthesize(self, text: str) -> Pcm:
        tts = await self._call(self.tts_name, self._text_to_speech)
        return await self._call(self.tts_name, tts.synthesize, text)

    async def ready(self) -> None:
        """Both engines loaded, or 503 naming the one that is not."""
        await self._call(self.stt_name, self._speech_to_text)
        await self._call(self.tts_name, self._text_to_speech)

    async def preload(self) -> None:
        """Load both engines in the background at start; a failure is logged and
        reported again, with its reason, to the requests that need the engine."""
        for name, load in (
            (self.stt_name, self._speech_to_text),
            (self.tts_name, self._text_to_speech),
        ):
            try:
                await self._call(name, load)
            except VoiceEngineUnavailable as error:
                log.warning("%s", error.message)

    async def _call(self, engine: str, work: Callable[..., T], *args: Any) -> T:
        timeout = self.settings.voice_engine_timeout_seconds
        try:
            async with asyncio.timeout(timeout):  # not wait_for: it can swallow a cancellation
                return await asyncio.to_thread(work, *args)
        except TimeoutError as error:
            raise VoiceEngineUnavailable(
                f"The {engine} engine did not answer within {timeout:g} s",
                details={"engine": engine},
            ) from error
        except DomainError:
            raise
        except Exception as error:
            log.exception("the %s engine failed", engine)
            raise VoiceEngineUnavailable(
                f"The {engine} engine failed: {error}", details={"engine": engine}
            ) from error

    def _speech_to_text(self) -> SpeechToText:
        with self._loading:
            if self._stt is None:
                self._stt = _load_stt(self.settings)
            return self._stt

    def _text_to_speech(self) -> TextToSpeech:
        with self._loading:
            if self._tts is None:
                self._tts = _load_tts(self.settings)
            return self._tts


def _load_stt(settings: Settings) -> SpeechToText:
    model, language, device = (
        settings.voice_stt_model,
        settings.voice_language,
        settings.voice_device,
    )
    bundled = model == BUNDLED_STT_MODEL
    if settings.voice_stt_engine == "pocketsphinx":
        return PocketSphinx(None if bundled else model)  # the bundled model is Whisper's
    assert model is not None  # the settings refuse these engines without a model
    if settings.voice_stt_engine == "whisper":
        if bundled:
            raise EngineFailed("the bundled Whisper base is for faster-whisper")
        return TransformersWhisper(model, language, device)
    folder = str(voice_bundled.whisper_base(settings)) if bundled else model
    return FasterWhisper(folder, language, device)


def _load_tts(settings: Settings) -> TextToSpeech:
    engine, model = settings.voice_tts_engine, settings.voice_tts_model
    if engine == "espeak-ng":
        return EspeakNg(
            settings.voice_tts_voice,
            settings.voice_tts_words_per_minute,
            settings.voice_engine_timeout_seconds,
        )
    assert model is not None  # the settings refuse these engines without a model
    if engine == "piper":
        bundled = model == BUNDLED_TTS_VOICE
        return Piper(str(voice_bundled.piper_voice(settings)) if bundled else model)
    if model == BUNDLED_TTS_VOICE:
        raise EngineFailed("the bundled voice is for piper")
    return TransformersVits(model, settings.voice_device)
