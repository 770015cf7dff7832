"""Chat completions answered as the API key owner's companion."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from confidant.auth.service import Principal
from confidant.finetune import service as finetune_service
from confidant.kit.errors import InvalidInput
from confidant.kit.sse import sse
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams, approximate_tokens
from confidant.llm.context import fit_context
from confidant.llm.generation import stream_reply
from confidant.openai_api.schemas import ChatCompletionRequest
from confidant.rag import answers as rag_answers
from confidant.rag.schemas import SourceOut
from confidant.safety import service as safety_service

if TYPE_CHECKING:
    from confidant.runtime import Runtime

COMPANION_MODEL = "confidant"  # the caller's own companion, whatever model serves it


@dataclass
class Completion:
    model: ChatModel
    context: list[ChatMessage]
    params: GenerationParams
    crisis_resources: str | None
    sources: list[SourceOut]
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))

    def deltas(self) -> AsyncIterator[str]:
        return stream_reply(self.model, self.context, self.params, self.crisis_resources)


def model_names(rt: Runtime) -> list[str]:
    return [COMPANION_MODEL, *rt.models.available()]


async def prepare(rt: Runtime, principal: Principal, request: ChatCompletionRequest) -> Completion:
    """Check the request, screen the user's last message, fit the conversation."""
    if request.model != COMPANION_MODEL and request.model not in rt.models.available():
        raise InvalidInput(
            f"Unknown or unavailable model: {request.model}",
            details={"field": "model", "available": model_names(rt)},
        )
    model = rt.models.for_reply(None if request.model == COMPANION_MODEL else request.model)
    async with rt.db.transaction() as session:
        model = await finetune_service.personalize(rt, session, principal.user.id, model)
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
    settings = rt.settings
    params = GenerationParams(
        max_new_tokens=request.max_completion_tokens
        or request.max_tokens
        or settings.llm_max_new_tokens,
        temperature=settings.llm_temperature
        if request.temperature is None
        else request.temperature,
        top_p=request.top_p or settings.llm_top_p,
    )
    question = history[-1]["content"]
    grounded_prompt, sources = await rag_answers.grounding(rt, principal.user, question)
    system_prompt = "\n\n".join([grounded_prompt, *instructions])
    context = fit_context(model, system_prompt, history, reserve=params.max_new_tokens)
    resources = await safety_service.screen_and_record(rt, principal.user, question, "openai")
    return Completion(model, context, params, resources, sources)


def completion_body(completion: Completion, text: str) -> dict[str, Any]:
    prompt_tokens = completion.model.count_tokens(completion.context)
    completion_tokens = approximate_tokens([{"role": "assistant", "content": text}])
    return {
        "id": completion.id,
        "object": "chat.completion",
        "created": completion.created,
        "model": completion.model.name,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "sources": _sources(completion),  # an extension: what the answer drew on
    }


def _sources(completion: Completion) -> list[dict[str, Any]]:
    return [source.model_dump(mode="json", by_alias=True) for source in completion.sources]


async def chunk_stream(completion: Completion, deltas: AsyncIterator[str]) -> AsyncIterator[bytes]:
    """`chat.completion.chunk` events in OpenAI's framing, ending with [DONE]."""

    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> bytes:
        return sse(
            None,
            {
                "id": completion.id,
                "object": "chat.completion.chunk",
                "created": completion.created,
                "model": completion.model.name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            },
        )

    yield chunk({"role": "assistant", "content": ""})
    async for delta in deltas:
        yield chunk({"content": delta})
    yield chunk({}, finish="stop", sources=_sources(completion))
    yield sse(None, "[DONE]")
