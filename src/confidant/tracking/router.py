"""HTTP for mood entries, habits and check-ins, mindfulness sessions and the derived stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal
from confidant.idempotency.dependencies import Idempotent
from confidant.kit.clock import today_for
from confidant.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, refuse_reversed_range
from confidant.kit.schemas import IsoDate, ResourceId, days_back
from confidant.tracking import habits, mindfulness, mood
from confidant.tracking.activity import stats_out
from confidant.tracking.schemas import (
    CheckInCreate,
    CheckInOut,
    HabitCreate,
    HabitOut,
    HabitPatch,
    MoodCreate,
    MoodOut,
    MoodPatch,
    SessionCreate,
    SessionOut,
    StatsOut,
)

router = APIRouter(tags=["tracking"])

Cursor = Annotated[str | None, Query(max_length=512)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Since = Annotated[IsoDate | None, Query(alias="from")]
Until = Annotated[IsoDate | None, Query(alias="to")]


@router.post("/api/mood", response_model=MoodOut, status_code=status.HTTP_201_CREATED)
async def log_mood(
    body: MoodCreate,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    once: Idempotent,
) -> MoodOut:
    return await once(lambda: mood.create(rt, session, principal.user, body))


@router.get("/api/mood", response_model=Page[MoodOut])
async def list_mood(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    since: Since = None,
    until: Until = None,
) -> Page[MoodOut]:
    """Newest first; `from` and `to` are days in your own time zone, both included."""
    refuse_reversed_range(since, until)
    return await mood.list_entries(rt, session, principal.user, cursor, limit, since, until)


@router.get("/api/mood/{entry_id}", response_model=MoodOut)
async def get_mood(
    entry_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> MoodOut:
    return await mood.get(rt, session, principal.user, entry_id)


@router.patch("/api/mood/{entry_id}", response_model=MoodOut)
async def update_mood(
    entry_id: ResourceId,
    body: MoodPatch,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
) -> MoodOut:
    return await mood.update(rt, session, principal.user, entry_id, body)


@router.delete("/api/mood/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_mood(
    entry_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await mood.delete(session, principal.user, entry_id)


@router.post("/api/habits", response_model=HabitOut, status_code=status.HTTP_201_CREATED)
async def create_habit(
    body: HabitCreate,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    once: Idempotent,
) -> HabitOut:
    return await once(lambda: habits.create(rt, session, principal.user, body))


@router.get("/api/habits", response_model=list[HabitOut])
async def list_habits(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    archived: Annotated[bool, Query(description="include archived habits")] = False,
) -> list[HabitOut]:
    return await habits.list_habits(rt, session, principal.user, archived)


@router.get("/api/habits/{habit_id}", response_model=HabitOut)
async def get_habit(
    habit_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> HabitOut:
    return await habits.get(rt, session, principal.user, habit_id)


@router.patch("/api/habits/{habit_id}", response_model=HabitOut)
async def update_habit(
    habit_id: ResourceId,
    body: HabitPatch,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
) -> HabitOut:
    return await habits.update(rt, session, principal.user, habit_id, body)


@router.delete("/api/habits/{habit_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_habit(
    habit_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Deletes the habit and its check-ins (archive it instead to keep the history)."""
    await habits.delete(session, principal.user, habit_id)


@router.post(
    "/api/habits/{habit_id}/check-ins",
    response_model=CheckInOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "Already checked in that day; nothing changed"}, **errors(409)},
)
async def check_in(
    habit_id: ResourceId,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
    once: Idempotent,
    body: CheckInCreate | None = None,
) -> CheckInOut:
    """Mark the habit done today (or `day`, up to a week back)."""

    async def mark() -> CheckInOut:
        out, created = await habits.check_in(
            session, principal.user, habit_id, body.day if body else None
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        return out

    return await once(mark)


@router.get("/api/habits/{habit_id}/check-ins", response_model=list[CheckInOut])
async def list_check_ins(
    habit_id: ResourceId,
    principal: CurrentPrincipal,
    session: SessionDep,
    since: Since = None,
    until: Until = None,
) -> list[CheckInOut]:
    """Newest first; by default the last 30 days."""
    refuse_reversed_range(since, until)
    last = until or today_for(principal.user)
    first = since or days_back(last, 29)
    return await habits.list_check_ins(session, principal.user, habit_id, first, last)


@router.delete("/api/habits/{habit_id}/check-ins/{day}", status_code=status.HTTP_204_NO_CONTENT)
async def undo_check_in(
    habit_id: ResourceId, day: IsoDate, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await habits.undo_check_in(session, principal.user, habit_id, day)


@router.post(
    "/api/mindfulness/sessions", response_model=SessionOut, status_code=status.HTTP_201_CREATED
)
async def record_session(
    body: SessionCreate,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    once: Idempotent,
) -> SessionOut:
    """A mindfulness session you finished."""
    return await once(lambda: mindfulness.record(rt, session, principal.user, body))


@router.get("/api/mindfulness/sessions", response_model=Page[SessionOut])
async def list_sessions(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[SessionOut]:
    return await mindfulness.list_sessions(rt, session, principal.user, cursor, limit)


@router.delete("/api/mindfulness/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_session(
    session_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await mindfulness.delete(session, principal.user, session_id)


@router.get("/api/users/me/stats", response_model=StatsOut)
async def my_stats(principal: CurrentPrincipal) -> StatsOut:
    """Streak, XP and level, derived from what you logged (rules in the README)."""
    return stats_out(principal.user)
