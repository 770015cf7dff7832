"""Request shapes of the OpenAI Chat Completions API (fields we do not use are ignored,
as OpenAI clients send many)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from confidant.chats.schemas import MAX_MESSAGE_CHARS
from confidant.kit.schemas import StrictInput


class CompletionMessage(StrictInput):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant"]
    content: Annotated[str, StringConstraints(max_length=MAX_MESSAGE_CHARS)]


class ChatCompletionRequest(StrictInput):
    model_config = ConfigDict(extra="ignore")

    model: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    messages: Annotated[list[CompletionMessage], Field(min_length=1, max_length=500)]
    stream: bool = False
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    top_p: Annotated[float, Field(gt=0.0, le=1.0)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=8192)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1, le=8192)] | None = None
