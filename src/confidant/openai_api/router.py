"""HTTP for /v1: the OpenAI Chat Completions and Models APIs, authenticated by API key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from confidant.app.deps import RuntimeDep
from confidant.app.openapi import MODEL_ERRORS, errors
from confidant.auth import api_keys
from confidant.auth.service import Principal
from confidant.companion.service import collect, converse, started
from confidant.kit.errors import Unauthorized
from confidant.kit.sse import SSE_HEADERS
from confidant.openai_api import service
from confidant.openai_api.schemas import ChatCompletionRequest

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

api_key = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="A personal API key from POST /api/auth/api-keys (not an access token)",
)
ApiKeyCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(api_key)]


async def api_key_owner(rt: RuntimeDep, credentials: ApiKeyCredentials) -> Principal:
    if credentials is None:
        raise Unauthorized("Send your Confidant API key as a Bearer token")
    async with rt.db.transaction() as session:
        return await api_keys.authenticate(session, credentials.credentials)


ApiKeyOwner = Annotated[Principal, Depends(api_key_owner)]


@router.get("/models")
async def list_models(owner: ApiKeyOwner, rt: RuntimeDep) -> dict[str, Any]:
    data = [
        {"id": name, "object": "model", "created": 0, "owned_by": "confidant"}
        for name in service.model_names(rt)
    ]
    return {"object": "list", "data": data}


@router.post(
    "/chat/completions",
    response_model=None,
    responses={200: {"content": {"text/event-stream": {}}}, **errors(*MODEL_ERRORS)},
)
async def chat_completions(
    body: ChatCompletionRequest, owner: ApiKeyOwner, rt: RuntimeDep
) -> dict[str, Any] | StreamingResponse:
    ask = service.ask_for(rt, owner, body)
    events = converse(rt, ask, service.KEEP_NOTHING)
    completion = service.Completion()
    if body.stream:
        return StreamingResponse(
            service.chunk_stream(completion, await started(events)),
            media_type="text/event-stream",
            headers=SSE_HEADERS,
        )
    return service.completion_body(completion, await collect(events))
