"""The models this service can answer with, their status, and hot swapping between them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from confidant.config import Settings
from confidant.kit.errors import InvalidInput
from confidant.llm.adapters import AdapterRef, AdapterResidency
from confidant.llm.admission import Admission
from confidant.llm.base import (
    ApproximateTokens,
    ChatMessage,
    ChatModel,
    GenerationParams,
    ModelUnavailable,
)
from confidant.llm.telemetry import GenerationObservers

log = logging.getLogger("confidant.llm")

Provider = Literal["transformers", "openai"]
Status = Literal["loading", "loaded", "unavailable"]

HOW_TO_FIX = (
    "Point CONFIDANT_LLM_MODEL at a local directory holding the model's weights and "
    "tokenizer, or set CONFIDANT_LLM_PROVIDER=openai and CONFIDANT_LLM_BASE_URL to an "
    "OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp, OpenAI)."
)


@dataclass
class ModelEntry:
    name: str
    provider: Provider
    status: Status = "loading"
    reason: str | None = None
    model: ChatModel | None = None
    admission: Admission | None = None


@dataclass(frozen=True)
class ModelLoad:
    """A loaded model's work at this moment: generations holding a concurrency slot,
    generations queued for one, and (in process) the users' adapters it holds."""

    name: str
    running: int
    waiting: int
    adapters_resident: int | None  # None: adapters live on the model's server


class ModelRegistry:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.default_name = settings.llm_model
        self._entries: dict[str, ModelEntry] = {}
        self._loading: set[asyncio.Task[None]] = set()
        self.observers = GenerationObservers()  # every model's generations, told as they run

    def start(self) -> None:
        """Begin loading the configured model in the background; the service starts at once."""
        self.use(self.settings.llm_provider, self.settings.llm_model)

    def use(self, provider: Provider, name: str) -> ModelEntry:
        """Load `name` and make it the default once loaded; until then the old one serves."""
        entry = self._entries.get(name)
        if entry is not None and entry.status != "unavailable" and entry.provider == provider:
            if entry.status == "loaded":
                self.default_name = name
            return entry
        entry = ModelEntry(name, provider)
        self._entries[name] = entry
        task = asyncio.create_task(self._load(entry))
        self._loading.add(task)
        task.add_done_callback(self._loading.discard)
        return entry

    async def _load(self, entry: ModelEntry) -> None:
        admission = Admission(self.settings.llm_max_concurrency, self.settings.llm_max_queue)
        try:
            entry.model = await asyncio.to_thread(
                self._build, entry.provider, entry.name, admission
            )
        except Exception as exc:  # any failure to load is reported, never fatal
            entry.status, entry.reason = "unavailable", f"{type(exc).__name__}: {exc}"[:500]
            log.warning("model %s is unavailable: %s", entry.name, entry.reason)
            return
        entry.admission, entry.status = admission, "loaded"
        self.default_name = entry.name
        log.info("model %s loaded (%s)", entry.name, entry.provider)

    def _build(self, provider: Provider, name: str, admission: Admission) -> ChatModel:
        settings = self.settings
        if provider == "openai":
            from confidant.llm.openai_compat import OpenAICompatibleChatModel

            return OpenAICompatibleChatModel(
                name,
                base_url=settings.llm_base_url,
                api_key=settings.llm_api_key,
                timeout=settings.llm_timeout_seconds,
                context_window=settings.llm_context_window,
                admission=admission,
                observers=self.observers,
            )
        from confidant.llm.bundled import local_source
        from confidant.llm.huggingface_connection import HuggingFaceChatModel

        return HuggingFaceChatModel(
            name,
            source=local_source(settings, name),
            local_files_only=True,  # nothing is downloaded at run time
            dtype=settings.llm_dtype,
            device=settings.llm_device,
            admission=admission,
            max_resident_adapters=settings.llm_max_resident_adapters,
            observers=self.observers,
        )

    def get(self, name: str | None = None) -> ChatModel:
        entry = self._entries.get(name or self.default_name)
        if entry is not None and entry.status == "loaded" and entry.model is not None:
            return entry.model
        if entry is None:
            raise ModelUnavailable(f"Model {name} is not available. {HOW_TO_FIX}")
        if entry.status == "loading":
            raise ModelUnavailable(
                f"Model {entry.name} is still loading; try again shortly",
                headers={"Retry-After": "10"},
            )
        raise ModelUnavailable(
            f"Model {entry.name} could not be loaded ({entry.reason}). {HOW_TO_FIX}"
        )

    def default_is_loading(self) -> bool:
        entry = self._entries.get(self.default_name)
        return entry is not None and entry.status == "loading"

    def for_reply(self, name: str | None = None) -> ChatModel:
        """The model to reply with, or a stand-in that fails only when asked to generate:
        a reply is prepared (and crisis help sent) whatever state the model is in."""
        try:
            return self.get(name)
        except ModelUnavailable as unavailable:
            return UnavailableModel(name or self.default_name, unavailable)

    def require_available(self, name: str) -> str:
        """`name` if it is loaded; otherwise 422 listing the models that are."""
        if name not in self.available():
            raise InvalidInput(
                f"Unknown or unavailable model: {name}",
                details={"field": "model", "available": self.available()},
            )
        return name

    def available(self) -> list[str]:
        return [e.name for e in self._entries.values() if e.status == "loaded"]

    def entries(self) -> list[ModelEntry]:
        return list(self._entries.values())

    def loads(self) -> list[ModelLoad]:
        """What each loaded model is doing now (cheap: counters in memory)."""
        found = []
        for entry in self._entries.values():
            if entry.status != "loaded" or entry.admission is None:
                continue
            adapters = getattr(entry.model, "adapters", None)
            resident = len(adapters.resident) if isinstance(adapters, AdapterResidency) else None
            admission = entry.admission
            found.append(ModelLoad(entry.name, admission.running, admission.waiting, resident))
        return found

    async def wait_until_settled(self) -> None:
        """Wait for every load in progress to finish (or fail)."""
        while self._loading:
            await asyncio.gather(*self._loading, return_exceptions=True)

    async def aclose(self) -> None:
        for task in self._loading:
            task.cancel()
        for entry in self._entries.values():
            if entry.model is not None:
                await entry.model.aclose()


class UnavailableModel(ApproximateTokens):
    """Stands in for a model that cannot answer now (loading, failed to load, gone)."""

    provider = "unavailable"
    context_window = 4096

    def __init__(self, name: str, reason: ModelUnavailable) -> None:
        self.name = name
        self.reason = reason

    async def stream(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        adapter: AdapterRef | None = None,
    ) -> AsyncIterator[str]:
        raise self.reason
        yield ""  # a generator, like every model's stream

    async def aclose(self) -> None:
        return None
