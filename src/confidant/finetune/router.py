"""HTTP for models: the base models and the caller's adapters, and fine-tunes."""

from __future__ import annotations

from fastapi import APIRouter, status

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal
from confidant.finetune import service, tasks  # noqa: F401  # tasks: registers the job kinds
from confidant.finetune.schemas import FineTuneIn, FineTuneStatus, ModelListItem
from confidant.kit.schemas import ResourceId

router = APIRouter(prefix="/api/models", tags=["models"])


@router.get("", response_model=list[ModelListItem])
async def list_models(
    principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> list[ModelListItem]:
    """The base models the service runs (with their status), then your adapters."""
    return await service.list_models(rt, session, principal.user)


@router.post(
    "/fine-tune",
    response_model=FineTuneStatus,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(403, 404, 409, 429),
)
async def fine_tune(
    body: FineTuneIn, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> FineTuneStatus:
    """Train a personal adapter on your own diary and chats, on a worker (admins: for any
    user). One per day per user; watch it at /api/models/{id}/status."""
    model = await service.start(rt, session, principal.user, body)
    return service.status_of(model, None)


@router.get("/{model_id}/status", response_model=FineTuneStatus)
async def fine_tune_status(
    model_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> FineTuneStatus:
    """State, step of total, training and held-out loss, and time left."""
    return await service.status(session, principal.user, model_id)


@router.post("/{model_id}/cancel", response_model=FineTuneStatus, responses=errors(409))
async def cancel_fine_tune(
    model_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> FineTuneStatus:
    """Stop a queued or running fine-tune (a running one stops within seconds)."""
    return await service.cancel(session, principal.user, model_id)
