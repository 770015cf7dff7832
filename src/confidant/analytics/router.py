"""HTTP for the analytics numbers and the mood chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from confidant.analytics import service
from confidant.analytics.chart import ChartFormat
from confidant.analytics.schemas import AnalyticsOut, Range
from confidant.app.deps import RuntimeDep, SessionDep
from confidant.auth.dependencies import CurrentPrincipal

router = APIRouter(tags=["analytics"])

RangeQuery = Annotated[Range, Query(description="the last 7 days (week) or 30 days (month)")]
MEDIA_TYPES: dict[ChartFormat, str] = {"svg": "image/svg+xml", "png": "image/png"}


@router.get("/api/analytics", response_model=AnalyticsOut)
async def get_analytics(
    principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep, range: RangeQuery = "week"
) -> AnalyticsOut:
    """Mood trend and weekly-goal completion for the chart, and the week's and month's
    progress, counted in your time zone."""
    return await service.analytics(rt, session, principal.user, range)


@router.get(
    "/api/analytics/mood.{fmt}",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}, "image/png": {}}}},
)
async def mood_chart(
    fmt: ChartFormat,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    range: RangeQuery = "week",
) -> Response:
    """Your mood trend as a picture, with questionnaire scores marked on the days taken."""
    picture = await service.mood_picture(rt, session, principal.user, range, fmt)
    return Response(
        picture, media_type=MEDIA_TYPES[fmt], headers={"Cache-Control": "private, no-store"}
    )
