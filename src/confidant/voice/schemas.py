from __future__ import annotations

from datetime import datetime

from pydantic import Field

from confidant.chats.schemas import TurnOut
from confidant.kit.schemas import ApiModel


class ClipOut(ApiModel):
    id: str
    url: str = Field(description="GET it with the same bearer token")
    content_type: str
    duration_seconds: float
    expires_at: datetime


class VoiceTurnOut(TurnOut):
    transcript: str = Field(description="What the service heard; also the user message")
    user_audio: ClipOut = Field(description="The recording, as uploaded")
    reply_audio: ClipOut = Field(description="The reply, spoken")
