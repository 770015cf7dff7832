"""What every chat model offers, and the errors a model can raise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from confidant.kit.errors import DomainError

if TYPE_CHECKING:
    from confidant.llm.adapters import AdapterRef

Role = Literal["system", "user", "assistant"]
ChatMessage = dict[str, str]  # {"role": ..., "content": ...}


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int
    temperature: float
    top_p: float


class ChatModel(Protocol):
    name: str
    provider: str
    context_window: int

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        """Tokens these messages take once the chat template is applied."""

    def tokens_each(self, messages: list[ChatMessage]) -> list[int]:
        """An upper bound of what each message adds to a templated conversation."""

    def stream(
        self,
        messages: list[ChatMessage],
        params: GenerationParams,
        adapter: AdapterRef | None = None,
    ) -> AsyncIterator[str]:
        """Text deltas of the reply, with the user's adapter when given. Closing the
        iterator early stops the generation."""

    async def aclose(self) -> None:
        """Release the model (memory, connections)."""


class ModelUnavailable(DomainError):
    status_code = 503
    code = "model_unavailable"


class ModelBusy(DomainError):
    status_code = 503
    code = "model_busy"

    def __init__(self, message: str, retry_after: int = 5, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers["Retry-After"] = str(retry_after)


class UpstreamError(DomainError):
    """An OpenAI-compatible server failed: 502 (bad answer), 503 (overloaded), 504 (timeout)."""

    code = "upstream_error"

    def __init__(self, status_code: int, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.status_code = status_code


class ApproximateTokens:
    """Token counts for models without a local tokenizer."""

    def count_tokens(self, messages: list[ChatMessage]) -> int:
        return approximate_tokens(messages)

    def tokens_each(self, messages: list[ChatMessage]) -> list[int]:
        return approximate_tokens_each(messages)


def approximate_tokens_each(messages: list[ChatMessage]) -> list[int]:
    return [len(message["content"]) // 4 + 4 for message in messages]


def approximate_tokens(messages: list[ChatMessage]) -> int:
    """For models without a local tokenizer: about four characters a token, plus framing."""
    return sum(len(message["content"]) // 4 + 4 for message in messages) + 2
