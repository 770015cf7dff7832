"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from confidant.app.deps import RuntimeDep
from confidant.app.metrics import Metrics
from confidant.app.openapi import errors
from confidant.kit.errors import DomainError
from confidant.llm.base import ModelUnavailable

router = APIRouter(tags=["health"])


class NotReady(DomainError):
    status_code = 503
    code = "not_ready"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses=errors(503))
async def readyz(rt: RuntimeDep) -> dict[str, str]:
    """200 `ready` when the databases answer and the default model is loaded; 200
    `degraded`, with the reason, when the model failed to load (sign-in, the diary and
    crisis help still work); 503 while a database is unreachable or the model is still
    loading at start-up."""
    for name, database in (("database", rt.db), ("keystore", rt.keystore.db)):
        try:
            async with database.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:
            raise NotReady(f"The {name} is unreachable", details={name: "unreachable"}) from exc
    try:
        rt.models.get()
    except ModelUnavailable as exc:
        if rt.models.default_is_loading():
            raise NotReady(exc.message, details={"model": "loading"}, headers=exc.headers) from exc
        return {"status": "degraded", "reason": exc.message}
    return {"status": "ready"}


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text: HTTP, generations (vLLM's names, `confidant:` prefix), the model's
    queue, jobs, the ledger and voice turns; the database-backed gauges are read now."""
    figures: Metrics = request.app.state.metrics
    await figures.refresh()
    return Response(generate_latest(figures.registry), media_type=CONTENT_TYPE_LATEST)
