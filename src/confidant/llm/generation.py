"""Generating a reply: default parameters, crisis resources first, collecting a stream."""

from __future__ import annotations

from collections.abc import AsyncIterator

from confidant.config import Settings
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams


def default_params(settings: Settings) -> GenerationParams:
    return GenerationParams(
        max_new_tokens=settings.llm_max_new_tokens,
        temperature=settings.llm_temperature,
        top_p=settings.llm_top_p,
    )


async def stream_reply(
    model: ChatModel,
    context: list[ChatMessage],
    params: GenerationParams,
    crisis_resources: str | None,
) -> AsyncIterator[str]:
    """The reply as text deltas: crisis resources first, before anything the model says."""
    if crisis_resources:
        yield crisis_resources + "\n\n"
    async for delta in model.stream(context, params):
        yield delta


async def complete(stream: AsyncIterator[str]) -> str:
    return "".join([delta async for delta in stream])
