"""HTTP for voice messages and the audio kept for them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import MODEL_ERRORS, errors
from confidant.auth.dependencies import CurrentPrincipal, StreamingPrincipal
from confidant.companion.voice import answer_by_voice
from confidant.kit.errors import PayloadTooLarge
from confidant.kit.schemas import RESOURCE_ID_PATTERN, ResourceId
from confidant.voice import service
from confidant.voice.audio import ReplyFormat
from confidant.voice.schemas import VoiceTurnOut

router = APIRouter(tags=["voice"])

AUDIO_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"audio/wav": {}, "audio/ogg": {}, "audio/webm": {}, "audio/mpeg": {}}}
}


@router.post(
    "/api/messages/voice", response_model=VoiceTurnOut, responses=errors(404, 415, *MODEL_ERRORS)
)
async def post_voice_message(
    chat_id: Annotated[
        str, Form(alias="chatId", min_length=1, max_length=64, pattern=RESOURCE_ID_PATTERN)
    ],
    audio: Annotated[UploadFile, File(description="WAV, WebM/Opus, Ogg/Opus, MP3 or M4A")],
    principal: StreamingPrincipal,
    rt: RuntimeDep,
    reply_format: Annotated[ReplyFormat, Form(alias="format")] = "wav",
) -> VoiceTurnOut:
    """Send a recording: it is transcribed and answered in the chat like a typed message,
    and the answer comes back as text and as speech (`replyAudio.url`)."""
    limit = rt.settings.voice_max_upload_bytes
    data = await audio.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"Audio is larger than {limit} bytes")
    return await answer_by_voice(rt, principal.user, chat_id, data, reply_format)


@router.get("/api/voice/clips/{clip_id}", response_class=Response, responses=AUDIO_RESPONSES)
async def get_clip(
    clip_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> Response:
    """A recording or a spoken reply, while it is kept."""
    content_type, data = await service.get_clip(rt, session, principal.user, clip_id)
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"}
    return Response(data, media_type=content_type, headers=headers)
