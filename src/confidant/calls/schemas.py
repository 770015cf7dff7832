from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel, ResourceId

MAX_SDP_CHARS = 32_768
# SDP ends each line with CRLF, the last one too: browsers refuse a description without it.
Sdp = Annotated[str, StringConstraints(strip_whitespace=False)]


class CallOffer(ApiInput):
    chat_id: ResourceId
    type: Literal["offer"]
    sdp: Sdp = Field(
        min_length=1, max_length=MAX_SDP_CHARS, description="a complete offer (no trickle ICE)"
    )


class CallAnswer(ApiModel):
    call_id: str
    type: Literal["answer"] = "answer"
    sdp: Sdp


class IceServer(ApiModel):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class CallConfig(ApiModel):
    ice_servers: list[IceServer]
    max_pause_seconds: float
    min_pause_seconds: float
    default_pause_seconds: float
