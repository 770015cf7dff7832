"""HTTP for wearable data: batches in, daily summaries out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal
from confidant.idempotency.dependencies import Idempotent
from confidant.kit.clock import today_for
from confidant.kit.errors import InvalidInput
from confidant.kit.pagination import refuse_reversed_range
from confidant.kit.schemas import IsoDate, days_back
from confidant.sensors import service
from confidant.sensors.schemas import BatchIn, BatchOut, DailySummaryOut

router = APIRouter(tags=["sensors"])

MAX_SUMMARY_DAYS = 366


@router.post("/api/sensors", response_model=BatchOut, responses=errors(409))
async def push_samples(
    body: BatchIn,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    once: Idempotent,
) -> BatchOut:
    """Heart rate, steps and sleep from a wearable. Each sample carries the device's own
    id: sending a batch again (after a timeout, say) stores nothing twice."""
    return await once(lambda: service.ingest(rt, session, principal.user, body.samples))


@router.get("/api/sensors/daily", response_model=list[DailySummaryOut])
async def daily_summaries(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    since: Annotated[IsoDate | None, Query(alias="from")] = None,
    until: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> list[DailySummaryOut]:
    """One summary per day in your time zone, oldest first; by default the last 7 days."""
    last = until or today_for(principal.user)
    first = since or days_back(last, 6)
    refuse_reversed_range(first, last)
    if (last - first).days >= MAX_SUMMARY_DAYS:
        raise InvalidInput(
            f"Ask for at most {MAX_SUMMARY_DAYS} days at a time",
            details=[{"field": "query.from"}],
        )
    return await service.daily(rt, session, principal.user, first, last)
