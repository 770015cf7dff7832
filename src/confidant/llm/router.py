"""HTTP for switching the service's model at run time (listing: finetune.router)."""

from __future__ import annotations

from fastapi import APIRouter, status

from confidant.app.deps import RuntimeDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal
from confidant.kit.errors import Forbidden
from confidant.llm.registry import ModelEntry, ModelRegistry
from confidant.llm.schemas import ModelOut, UseModelIn

router = APIRouter(prefix="/api/models", tags=["models"])


def _out(entry: ModelEntry, registry: ModelRegistry) -> ModelOut:
    return ModelOut(
        name=entry.name,
        provider=entry.provider,
        status=entry.status,
        reason=entry.reason,
        default=entry.name == registry.default_name,
    )


@router.post(
    "/use",
    response_model=ModelOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=errors(403),
)
async def use_model(body: UseModelIn, principal: CurrentPrincipal, rt: RuntimeDep) -> ModelOut:
    """Admins: switch the service's model. The current one serves until the new one loads."""
    if not principal.is_admin:
        raise Forbidden("Only administrators can switch the service's model")
    return _out(rt.models.use(body.provider, body.model), rt.models)
