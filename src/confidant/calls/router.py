"""HTTP signalling for live calls: the offer in, the answer out, a DELETE to hang up."""

from __future__ import annotations

from fastapi import APIRouter, Response

from confidant.app.deps import RuntimeDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import StreamingPrincipal
from confidant.calls import service
from confidant.calls.schemas import CallAnswer, CallConfig, CallOffer
from confidant.kit.schemas import ResourceId

router = APIRouter(tags=["calls"])


@router.get("/api/calls/config", response_model=CallConfig)
async def call_config(principal: StreamingPrincipal, rt: RuntimeDep) -> CallConfig:
    """The ICE servers to gather candidates with, and the pause-tolerance range."""
    return service.config(rt)


@router.post(
    "/api/calls", status_code=201, response_model=CallAnswer, responses=errors(404, 422, 503)
)
async def start_call(offer: CallOffer, principal: StreamingPrincipal, rt: RuntimeDep) -> CallAnswer:
    """Start a call in one of your chats with a complete SDP offer (ICE gathering done,
    an Opus audio track, a data channel named `events`); the answer is just as complete.
    Events on the channel: listening, transcript, thinking, delta, speaking, crisis,
    replied, error, ended."""
    return await service.start(rt, principal.user, offer)


@router.delete("/api/calls/{call_id}", status_code=204, responses=errors(404))
async def hang_up(call_id: ResourceId, principal: StreamingPrincipal, rt: RuntimeDep) -> Response:
    """Hang up; the turns already taken are in the chat."""
    await service.hang_up(rt, principal.user, call_id)
    return Response(status_code=204)
