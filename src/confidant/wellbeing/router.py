"""HTTP for the questionnaires and the user's answers to them."""

from __future__ import annotations

from fastapi import APIRouter, status

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.auth.dependencies import CurrentPrincipal
from confidant.idempotency.dependencies import Idempotent
from confidant.kit.schemas import ResourceId
from confidant.wellbeing import service
from confidant.wellbeing.schemas import (
    AssessmentOut,
    CrisisResourcesOut,
    HistoryOut,
    ResponseIn,
    SubmittedOut,
)

router = APIRouter(tags=["wellbeing"])


@router.get("/api/assessments", response_model=list[AssessmentOut])
async def list_assessments() -> list[AssessmentOut]:
    """PHQ-9, GAD-7 and WHO-5: items, answer options and severity bands."""
    return service.catalogue()


@router.get("/api/crisis-resources", response_model=CrisisResourcesOut)
async def get_crisis_resources(principal: CurrentPrincipal, rt: RuntimeDep) -> CrisisResourcesOut:
    """Crisis lines for your language, for a client to show at once (before it submits the
    PHQ-9 answer that calls for them); nothing is recorded."""
    return CrisisResourcesOut(resources=service.crisis_resources(rt, principal.user))


@router.get("/api/assessments/{assessment_id}", response_model=AssessmentOut)
async def get_assessment(assessment_id: ResourceId) -> AssessmentOut:
    return service.describe(service.instrument(assessment_id))


@router.post(
    "/api/assessments/{assessment_id}/responses",
    response_model=SubmittedOut,
    status_code=status.HTTP_201_CREATED,
)
async def submit_response(
    assessment_id: ResourceId,
    body: ResponseIn,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    once: Idempotent,
) -> SubmittedOut:
    """Score a completed questionnaire (one answer per item); the result and, when an
    answer calls for it, crisis resources come back."""
    return await once(
        lambda: service.submit(rt, session, principal.user, assessment_id, body.answers)
    )


@router.get("/api/assessments/{assessment_id}/responses", response_model=HistoryOut)
async def list_responses(
    assessment_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> HistoryOut:
    """The caller's responses, newest first, and the change since the one before."""
    return await service.history(rt, session, principal.user, assessment_id)
