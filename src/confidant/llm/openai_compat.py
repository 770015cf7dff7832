"""Any OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp, OpenAI) as a chat model.

Its generations are timed here as the stream arrives, network included; a content chunk
counts as a token (what vLLM and most servers stream) and the prompt's length is the
estimate of `ApproximateTokens`, since the server's own tokenizer is not at hand."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import openai
from openai.types.chat import ChatCompletionMessageParam

from confidant.llm.adapters import AdapterRef
from confidant.llm.admission import Admission
from confidant.llm.base import (
    ApproximateTokens,
    ChatMessage,
    GenerationParams,
    UpstreamError,
)
from confidant.llm.telemetry import Generation, GenerationObservers, arrived


class OpenAICompatibleChatModel(ApproximateTokens):
    provider = "openai"

    def __init__(
        self,
        name: str,
        *,
        base_url: str | None,
        api_key: str | None,
        timeout: float,
        context_window: int,
        admission: Admission,
        observers: GenerationObservers | None = None,
    ) -> None:
        self.name = name
        self.context_window = context_window
        self._admission = admission
        self._observers = observers if observers is not None else GenerationObservers()
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
        )

    async def stream(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        adapter: AdapterRef | None = None,
    ) -> AsyncIterator[str]:
        """With an adapter: the server serves it under its name (vLLM's LoRA adapters)."""
        since = arrived()
        async with self._admission.slot():
            generation = Generation(self._observers, self.name, since, self.count_tokens(messages))
            try:
                response = await self._client.chat.completions.create(
                    model=adapter.name if adapter is not None else self.name,
                    messages=cast(list[ChatCompletionMessageParam], messages),
                    stream=True,
                    max_tokens=params.max_new_tokens,
                    temperature=params.temperature,
                    top_p=params.top_p,
                )
                async with response:
                    async for chunk in response:
                        if chunk.choices and chunk.choices[0].delta.content:
                            generation.token()
                            yield chunk.choices[0].delta.content
            except openai.APITimeoutError as exc:
                raise UpstreamError(504, "The model server did not answer in time") from exc
            except openai.APIConnectionError as exc:
                raise UpstreamError(502, "The model server cannot be reached") from exc
            except openai.APIStatusError as exc:
                raise _status_error(exc) from exc
            finally:
                generation.finish()

    async def aclose(self) -> None:
        await self._client.close()


def _status_error(exc: openai.APIStatusError) -> UpstreamError:
    if exc.status_code in (429, 503):
        return UpstreamError(503, "The model server is overloaded; try again shortly")
    if exc.status_code == 504:
        return UpstreamError(504, "The model server timed out")
    return UpstreamError(
        502,
        f"The model server answered with an error ({exc.status_code})",
        details={"upstreamStatus": exc.status_code},
    )
