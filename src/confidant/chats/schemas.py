from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel, StrictInput
from confidant.rag.schemas import SourceOut

MAX_MESSAGE_CHARS = 8000
MAX_QUERY_CHARS = 4000

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ModelName = Annotated[str, StringConstraints(min_length=1, max_length=512)]
Content = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_CHARS)]
# Stored text comes back exactly as written: output models must not strip it.
VerbatimText = Annotated[str, StringConstraints(strip_whitespace=False)]


class ChatCreate(ApiInput):
    title: Title | None = None
    model: ModelName | None = None
    resume: bool = Field(default=False, description="Return the newest chat instead, if any")


class ChatPatch(ApiInput):
    title: Title | None = None
    model: ModelName | None = None


class ChatOut(ApiModel):
    id: str
    title: str | None
    model: str | None
    flagged: bool = Field(description="A crisis signal was seen in this chat")
    created_at: datetime
    updated_at: datetime


class MessageCreate(ApiInput):
    chat_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    content: Content


class MessageOut(ApiModel):
    id: str
    chat_id: str
    role: Literal["user", "assistant"]
    content: VerbatimText
    model: str | None = None
    sources: list[SourceOut] | None = Field(
        default=None, description="What a reply drew on from the user's diary and chats"
    )
    interrupted: bool = Field(default=False, description="Cut short; kept as written")
    created_at: datetime


class TurnOut(ApiModel):
    user_message: MessageOut
    reply: MessageOut
    crisis: bool


class WireModel(BaseModel):
    """The query API keeps the seed's snake_case names."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class QueryIn(WireModel, StrictInput):
    query: Annotated[str, StringConstraints(min_length=1, max_length=MAX_QUERY_CHARS)]
    model: ModelName | None = None


class QueryOut(WireModel):
    query_id: str
    response: VerbatimText
    sources: list[SourceOut] = []


class QueryRecord(QueryOut):
    query: VerbatimText
    interrupted: bool = False
    model: str
    created_at: datetime
