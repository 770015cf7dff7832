"""HTTP for search over one's own diary, and grounded answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from confidant.auth.dependencies import CurrentPrincipal, StreamingPrincipal
from confidant.deps import RuntimeDep
from confidant.errors import InvalidInput
from confidant.rag import answers
from confidant.rag.schemas import RagAnswer, RagQueryIn, SearchOut

router = APIRouter(tags=["search"])


@router.get("/api/search", response_model=SearchOut)
async def search(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    since: Annotated[date | None, Query(alias="from")] = None,
    until: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchOut:
    """Search your own diary and chats by meaning and by exact words, with snippets."""
    if since and until and since > until:
        raise InvalidInput("`from` is after `to`", details=[{"field": "query.from"}])
    return await answers.search(rt, principal.user, q, limit, since, until)


@router.post("/api/rag/query", response_model=RagAnswer)
async def rag_query(body: RagQueryIn, principal: StreamingPrincipal, rt: RuntimeDep) -> RagAnswer:
    """An answer grounded in your own entries, with the sources it drew on."""
    return await answers.answer(rt, principal.user, body.question)
