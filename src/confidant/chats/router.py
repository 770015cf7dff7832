"""HTTP for chats, messages (JSON or SSE) and the query API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated

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
from confidant.kit.errors import DomainError, error_body
from confidant.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from confidant.kit.schemas import ResourceId
from confidant.kit.sse import SSE_HEADERS, primed, sse, wants_event_stream
from confidant.llm.generation import complete

if TYPE_CHECKING:
    from confidant.runtime import Runtime

router = APIRouter(tags=["chats"])

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
    `delta` events with text, then one `message` event with the stored reply."""
    turn = await service.begin_turn(rt, principal.user, body.chat_id, body.content)
    deltas = await primed(service.reply_stream(turn))
    if wants_event_stream(request):
        return StreamingResponse(
            _sse_turn(rt, turn, deltas), media_type="text/event-stream", headers=SSE_HEADERS
        )
    reply = await service.finish_turn(rt, turn, await complete(deltas))
    crisis = turn.crisis_resources is not None
    return TurnOut(user_message=turn.user_message, reply=reply, crisis=crisis)


async def _sse_turn(
    rt: Runtime, turn: service.Turn, deltas: AsyncIterator[str]
) -> AsyncIterator[bytes]:
    parts: list[str] = []
    try:
        async for delta in deltas:
            parts.append(delta)
            yield sse("delta", {"content": delta})
        reply = await service.finish_turn(rt, turn, "".join(parts))
    except DomainError as error:
        yield sse("error", error_body(error.code, error.message, error.details))
        return
    payload = reply.model_dump(mode="json", by_alias=True)
    yield sse("message", {**payload, "crisis": turn.crisis_resources is not None})


@router.post("/api/v1/query", response_model=QueryOut, responses=errors(*MODEL_ERRORS))
async def ask(body: QueryIn, principal: StreamingPrincipal, rt: RuntimeDep) -> QueryOut:
    """Ask one question; the answer is stored and can be fetched again by `query_id`."""
    return await service.ask(rt, principal.user, body.query, body.model)


@router.get("/api/v1/query/{query_id}", response_model=QueryRecord)
async def get_query(
    query_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> QueryRecord:
    return await service.get_query(rt, session, principal.user, query_id)
