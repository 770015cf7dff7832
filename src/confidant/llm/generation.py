"""Generating a reply: default parameters, crisis resources first, collecting a stream."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator

from confidant.config import Settings
from confidant.llm.base import ChatMessage, ChatModel, GenerationParams

log = logging.getLogger("confidant.llm")


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
) -> AsyncGenerator[str, None]:
    """The reply as text deltas: crisis resources first, before anything the model says.
    After crisis resources a model that cannot answer (loading, down, busy, timing out)
    ends the reply quietly: the resources alone are the answer."""
    if not crisis_resources:
        async for delta in model.stream(context, params):
            yield delta
        return
    yield crisis_resources + "\n\n"
    try:
        async for delta in model.stream(context, params):
            yield delta
    except Exception as error:
        log.warning("the model could not follow crisis resources with a reply: %s", error)


async def complete(stream: AsyncIterator[str]) -> str:
    return "".join([delta async for delta in stream])
