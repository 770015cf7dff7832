"""A causal language model run in process with transformers.

Loads the model and its tokenizer from a Hugging Face id or a local directory, applies
the tokenizer's chat template, and streams the reply from a worker thread. Generation
stops as soon as the consumer stops reading (a client that went away). Each token is
reported to the observers as the worker thread produces it (`llm/telemetry.py`).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator
from typing import Any

from confidant.kit.imports import ML_IMPORT_LOCK
from confidant.llm.adapters import AdapterRef, AdapterResidency
from confidant.llm.admission import Admission
from confidant.llm.base import ChatMessage, GenerationParams
from confidant.llm.telemetry import Generation, GenerationObservers, arrived

DTYPES = {"float32", "float16", "bfloat16"}


def pick_device(requested: str) -> str:
    import torch

    if requested != "auto":
        return requested
    return "cuda" if torch.cuda.is_available() else "cpu"


class HuggingFaceChatModel:
    provider = "transformers"

    def __init__(
        self,
        name: str,
        *,
        source: str | None = None,
        dtype: str = "auto",
        device: str = "auto",
        admission: Admission,
        local_files_only: bool = False,
        max_resident_adapters: int = 8,
        observers: GenerationObservers | None = None,
    ) -> None:
        """Load `name` (a hub id or a local path) from `source` (a local path; default
        `name`); blocking, so call it from a thread. `observers` hear of each generation
        (by default nobody)."""
        with ML_IMPORT_LOCK:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

        self.name = name
        self.device = pick_device(device)
        self._admission = admission
        self._observers = observers if observers is not None else GenerationObservers()
        source = source or name
        self.tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=local_files_only)
        if self.tokenizer.chat_template is None:
            raise ValueError(f"{name} has no chat template; use an instruct/chat model")
        torch_dtype: Any = getattr(torch, dtype) if dtype in DTYPES else "auto"
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=torch_dtype, local_files_only=local_files_only
        )
        self.model = model.to(torch.device(self.device))  # type: ignore[arg-type]  # stub bug
        self.model.eval()
        self.context_window = int(
            getattr(self.model.config, "max_position_embeddings", None) or 2048
        )
        self.tokens_generated = 0  # every token this model produced; tests watch it
        self.adapters = AdapterResidency(self.model, max_resident_adapters)

    def _encode(self, messages: list[ChatMessage]) -> Any:
        return self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        text = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def tokens_each(self, messages: list[ChatMessage]) -> list[int]:
        if not messages:
            return []
        contents = self.tokenizer([m["content"] for m in messages], add_special_tokens=False)[
            "input_ids"
        ]
        return [len(ids) + self._framing for ids in contents]

    @functools.cached_property
    def _framing(self) -> int:
        """Template tokens around one message (with the generation prompt: an upper bound)."""
        return self.count_tokens([{"role": "user", "content": ""}])

    async def stream(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        adapter: AdapterRef | None = None,
    ) -> AsyncIterator[str]:
        from transformers import AsyncTextIteratorStreamer

        since = arrived()
        async with self._admission.slot(), self.adapters.use(adapter):
            inputs = self._encode(messages).to(self.device)
            streamer = AsyncTextIteratorStreamer(
                self.tokenizer, skip_prompt=True, skip_special_tokens=True
            )
            stop = threading.Event()
            prompt_tokens = int(inputs["input_ids"].shape[-1])
            generation = Generation(self._observers, self.name, since, prompt_tokens)
            worker = threading.Thread(
                target=self._generate,
                args=(inputs, params, streamer, stop, generation),
                name=f"generate-{self.name}",
                daemon=True,
            )
            worker.start()
            try:
                async for piece in streamer:
                    if piece:
                        yield piece
            finally:
                stop.set()
                await asyncio.to_thread(worker.join)

    def _generate(
        self,
        inputs: Any,
        params: GenerationParams,
        streamer: Any,
        stop: threading.Event,
        generation: Generation,
    ) -> None:
        from transformers import StoppingCriteria, StoppingCriteriaList

        model = self

        class StopWhenAsked(StoppingCriteria):
            """Called once per new token, as soon as the model has produced it."""

            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
                model.tokens_generated += 1
                generation.token()
                return stop.is_set()

        sampling = params.temperature > 0
        try:  # the generation ends here, however slowly its reader takes the text
            self.model.generate(
                **inputs,
                streamer=streamer,
                max_new_tokens=params.max_new_tokens,
                do_sample=sampling,
                temperature=params.temperature if sampling else None,
                top_p=params.top_p if sampling else None,
                stopping_criteria=StoppingCriteriaList([StopWhenAsked()]),
                pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            )
        except Exception:
            streamer.end()
            raise
        finally:
            generation.finish()

    async def aclose(self) -> None:
        del self.model
