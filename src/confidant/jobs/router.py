"""HTTP for the caller's background jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from confidant.app.deps import SessionDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal
from confidant.jobs import service
from confidant.jobs.schemas import JobOut, job_out
from confidant.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT
from confidant.kit.schemas import ResourceId

router = APIRouter(prefix="/api/jobs", tags=["jobs"])


@router.get("", response_model=list[JobOut])
async def list_jobs(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> list[JobOut]:
    """The caller's jobs, newest first."""
    return [job_out(job) for job in await service.own_jobs(session, principal.user, limit)]


@router.get("/{job_id}", response_model=JobOut)
async def get_job(job_id: ResourceId, principal: CurrentPrincipal, session: SessionDep) -> JobOut:
    return job_out(await service.own_job(session, principal.user, job_id))


@router.post("/{job_id}/cancel", response_model=JobOut, responses=errors(409))
async def cancel_job(
    job_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> JobOut:
    """Cancel a queued job at once, a running one at its next heartbeat (409 if ended)."""
    return job_out(await service.cancel(session, principal.user, job_id))
