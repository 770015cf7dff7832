"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from confidant.deps import RuntimeDep
from confidant.errors import DomainError
from confidant.llm.base import ModelUnavailable

router = APIRouter(tags=["health"])


class NotReady(DomainError):
    status_code = 503
    code = "not_ready"


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(rt: RuntimeDep) -> dict[str, str]:
    """Ready when the database answers and the default model is loaded; otherwise 503 and why."""
    try:
        async with rt.db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        raise NotReady("Database is unreachable") from exc
    try:
        rt.models.get()
    except ModelUnavailable as exc:
        raise NotReady(exc.message, details={"database": "ok", "model": exc.message}) from exc
    return {"status": "ready"}


@router.get("/metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    registry = request.app.state.metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
