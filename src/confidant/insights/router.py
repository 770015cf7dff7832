"""HTTP for today's prompt and suggestions."""

from __future__ import annotations

from fastapi import APIRouter

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.auth.dependencies import CurrentPrincipal
from confidant.insights import service
from confidant.insights.schemas import InsightsOut

router = APIRouter(tags=["insights"])


@router.get("/api/insights/daily", response_model=InsightsOut)
async def daily_insight(
    principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> InsightsOut:
    """A prompt for today and up to three activities, chosen by documented rules from your
    recent mood, questionnaires, habits, sessions and sleep (and what they were)."""
    return await service.daily(rt, session, principal.user)
