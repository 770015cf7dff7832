"""HTTP for search over one's own diary, and grounded answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import MODEL_ERRORS, errors
from confidant.auth.dependencies import CurrentPrincipal, StreamingPrincipal
from confidant.companion import channels
from confidant.jobs import service as jobs_service
from confidant.jobs.schemas import JobOut, job_out
from confidant.kit.pagination import refuse_reversed_range
from confidant.kit.schemas import IsoDate
from confidant.rag import answers, tasks
from confidant.rag.schemas import RagAnswer, RagQueryIn, SearchOut

router = APIRouter(tags=["search"])


@router.get("/api/search", response_model=SearchOut)
async def search(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    since: Annotated[IsoDate | None, Query(alias="from")] = None,
    until: Annotated[IsoDate | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchOut:
    """Search your own diary and chats by meaning and by exact words, with snippets."""
    refuse_reversed_range(since, until)
    return await answers.search(rt, principal.user, q, limit, since, until)


@router.post("/api/rag/query", response_model=RagAnswer, responses=errors(*MODEL_ERRORS))
async def rag_query(body: RagQueryIn, principal: StreamingPrincipal, rt: RuntimeDep) -> RagAnswer:
    """An answer grounded in your own entries, with the sources it drew on."""
    return await channels.answer_question(rt, principal.user, body.question)


@router.post("/api/rag/reindex", response_model=JobOut, status_code=status.HTTP_202_ACCEPTED)
async def reindex(principal: CurrentPrincipal, session: SessionDep) -> JobOut:
    """Rebuild your own search index from scratch, on a worker; watch it at /api/jobs/{id}."""
    job = jobs_service.submit(session, tasks.REINDEX, principal.user.id)
    return job_out(job)
