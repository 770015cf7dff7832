"""HTTP for chats, messages (JSON or SSE) and the query API; replies come from `companion`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import MODEL_ERRORS, errors
from confidant.auth.dependencies import CurrentPrincipal, StreamingPrincipal
from confidant.chats import service
from confidant.chats.schemas import (
    ChatCreate,
    ChatOut,
    ChatPatch,
    MessageCreate,
    MessageOut,
    QueryIn,
    QueryOut,
    QueryRecord,
    TurnOut,
)
from confidant.companion import channels
from confidant.companion.events import Crisis, Delta, Event, Failed, Sources
from confidant.companion.service import collect, started
from confidant.kit.errors import error_body
from confidant.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from confidant.kit.schemas import ResourceId
from confidant.kit.sse import SSE_HEADERS, sse, wants_event_stream

router = APIRouter(tags=["chats"])
log = logging.getLogger("confidant.chats")

Cursor = Annotated[str | None, Query(max_length=512)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.post(
    "/api/chats",
    response_model=ChatOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ChatOut, "description": "`resume`: the newest chat, unchanged"}},
)
async def create_chat(
    body: ChatCreate,
    response: Response,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
) -> ChatOut:
    """Create a chat; with `resume: true`, answer the newest chat instead (200) if any."""
    chat, created = await service.create_chat(rt, session, principal.user, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return chat


@router.get("/api/chats", response_model=Page[ChatOut])
async def list_chats(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ChatOut]:
    """The caller's chats, most recently active first."""
    return await service.list_chats(rt, session, principal.user, cursor, limit)


@router.get("/api/chats/{chat_id}", response_model=ChatOut)
async def get_chat(
    chat_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> ChatOut:
    return await service.get_chat(rt, session, principal.user, chat_id)


@router.patch("/api/chats/{chat_id}", response_model=ChatOut)
async def update_chat(
    chat_id: ResourceId,
    body: ChatPatch,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
) -> ChatOut:
    """Rename a chat or pick another available model for it."""
    return await service.update_chat(rt, session, principal.user, chat_id, body)


@router.delete("/api/chats/{chat_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_chat(
    chat_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> None:
    await service.delete_chat(rt, session, principal.user, chat_id)


@router.get("/api/chats/{chat_id}/messages", response_model=Page[MessageOut])
async def list_messages(
    chat_id: ResourceId,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[MessageOut]:
    """Messages newest first; follow `nextCursor` for older ones."""
    return await service.list_messages(rt, session, principal.user, chat_id, cursor, limit)


@router.post(
    "/api/messages",
    response_model=TurnOut,
    responses={200: {"content": {"text/event-stream": {}}}, **errors(404, *MODEL_ERRORS)},
)
async def post_message(
    body: MessageCreate, request: Request, principal: StreamingPrincipal, rt: RuntimeDep
) -> TurnOut | StreamingResponse:
    """Send a message and get the reply. With `Accept: text/event-stream` the reply streams:
    a `crisis` event with help at once when the message needs it, `sources` with what
    the reply draws on, `delta` events with text, then one `message` event with the
    stored reply (or an `error` event)."""
    keeper, events = channels.chat_turn(rt, principal.user, body.chat_id, body.content)
    if wants_event_stream(request):
        framed = _sse_turn(await started(events))
        return StreamingResponse(framed, media_type="text/event-stream", headers=SSE_HEADERS)
    answer = await collect(events)
    return TurnOut(user_message=keeper.asked, reply=answer.kept, crisis=answer.crisis)


async def _sse_turn(events: AsyncIterator[Event[MessageOut]]) -> AsyncIterator[bytes]:
    """The turn's events as SSE; one that fails unexpectedly mid-stream (a database error,
    say) is logged and ends with an `error` event, not a silently broken stream."""
    try:
        async for frame in _sse_frames(events):
            yield frame
    except Exception:
        log.exception("a chat turn over SSE failed")
        yield sse("error", error_body("internal_error", "Something went wrong on our side"))


async def _sse_frames(events: AsyncIterator[Event[MessageOut]]) -> AsyncIterator[bytes]:
    crisis = False
    async for event in events:
        if isinstance(event, Crisis):
            crisis = True
            yield sse("crisis", {"resources": event.resources, "severity": event.severity})
        elif isinstance(event, Sources):
            yield sse("sources", [s.model_dump(mode="json", by_alias=True) for s in event.sources])
        elif isinstance(event, Delta):
            yield sse("delta", {"content": event.text})
        elif isinstance(event, Failed):
            error = event.error
            yield sse("error", error_body(error.code, error.message, error.details))
        else:
            payload = event.kept.model_dump(mode="json", by_alias=True)
            yield sse("message", {**payload, "crisis": crisis})


@router.post("/api/v1/query", response_model=QueryOut, responses=errors(*MODEL_ERRORS))
async def ask(body: QueryIn, principal: StreamingPrincipal, rt: RuntimeDep) -> QueryOut:
    """Ask one question; the answer is stored and can be fetched again by `query_id`."""
    return await channels.ask_once(rt, principal.user, body.query, body.model)


@router.get("/api/v1/query/{query_id}", response_model=QueryRecord)
async def get_query(
    query_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> QueryRecord:
    return await service.get_query(rt, session, principal.user, query_id)
