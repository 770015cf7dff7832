"""Chat completions answered as the API key owner's companion."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from confidant.auth.service import Principal
from confidant.companion.events import Delta, Event, Failed, Replied, Sources
from confidant.companion.service import Ask, KeepNothing, PreparedReply
from confidant.kit.errors import InvalidInput, error_body
from confidant.kit.sse import sse
from confidant.llm.base import ChatMessage, GenerationParams, approximate_tokens
from confidant.openai_api.schemas import ChatCompletionRequest

if TYPE_CHECKING:
    from confidant.runtime import Runtime

COMPANION_MODEL = "confidant"  # the caller's own companion, whatever model serves it

CompletionEvent = Event[None]


@dataclass(frozen=True)
class Completion:
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))


def model_names(rt: Runtime) -> list[str]:
    return [COMPANION_MODEL, *rt.models.available()]


def ask_for(rt: Runtime, principal: Principal, request: ChatCompletionRequest) -> Ask:
    """The request as an ask of the companion: its last user message is answered, the
    earlier ones are the history, its system messages follow the companion's own."""
    if request.model != COMPANION_MODEL and request.model not in rt.models.available():
        raise InvalidInput(
            f"Unknown or unavailable model: {request.model}",
            details={"field": "model", "available": model_names(rt)},
        )
    instructions = [m.content for m in request.messages if m.role in ("system", "developer")]
    history: list[ChatMessage] = [
        {"role": m.role, "content": m.content}
        for m in request.messages
        if m.role in ("user", "assistant")
    ]
    if not history or history[-1]["role"] != "user" or not history[-1]["content"].strip():
        raise InvalidInput(
            "The last message must be a non-empty user message",
            details=[{"field": "messages", "message": "must end with a user message"}],
        )
    return Ask(
        principal.user,
        history[-1]["content"],
        "openai",
        history=history[:-1],
        instructions=instructions,
        model_name=None if request.model == COMPANION_MODEL else request.model,
        params=_params(rt, request),
    )


def _params(rt: Runtime, request: ChatCompletionRequest) -> GenerationParams:
    settings = rt.settings
    return GenerationParams(
        max_new_tokens=request.max_completion_tokens
        or request.max_tokens
        or settings.llm_max_new_tokens,
        temperature=settings.llm_temperature
        if request.temperature is None
        else request.temperature,
        top_p=request.top_p or settings.llm_top_p,
    )


KEEP_NOTHING = KeepNothing()


def completion_body(completion: Completion, answer: Replied[None]) -> dict[str, Any]:
    prepared = answer.prepared
    prompt_tokens = prepared.model.count_tokens(prepared.context) if prepared.context else 0
    completion_tokens = approximate_tokens([{"role": "assistant", "content": answer.text}])
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": prepared.model.name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer.text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "sources": _sources(prepared),  # an extension: what the answer drew on
    }


def _sources(prepared: PreparedReply) -> list[dict[str, Any]]:
    return [source.model_dump(mode="json", by_alias=True) for source in prepared.sources]


async def chunk_stream(
    completion: Completion, events: AsyncIterator[CompletionEvent]
) -> AsyncIterator[bytes]:
    """`chat.completion.chunk` events in OpenAI's framing, ending with [DONE]; the
    crisis resources arrive as the reply's first text, like any other client's."""
    model = COMPANION_MODEL

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> bytes:
        return sse(
            None,
            {
                "id": completion.id,
                "object": "chat.completion.chunk",
                "created": completion.created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            },
        )

    async for event in events:
        if isinstance(event, Sources):
            model = event.prepared.model.name
            yield chunk({"role": "assistant", "content": ""})
        elif isinstance(event, Delta):
            yield chunk({"content": event.text})
        elif isinstance(event, Failed):
            error = event.error
            yield sse(None, error_body(error.code, error.message, error.details))
            return
        elif isinstance(event, Replied):
            yield chunk({}, finish="stop", sources=_sources(event.prepared))
    yield sse(None, "[DONE]")
