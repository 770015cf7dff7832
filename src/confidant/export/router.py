"""HTTP for the full export and its JSON Schema."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.auth.dependencies import CurrentPrincipal
from confidant.export import service

router = APIRouter(tags=["export"])


@cache
def export_schema() -> dict[str, Any]:
    text = resources.files("confidant.export").joinpath("export.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@router.get("/api/users/me/export")
async def export_me(
    principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> JSONResponse:
    """Everything held about you as one JSON document (schema: GET /api/export/schema)."""
    document = await service.document(rt, session, principal.user)
    day = document["meta"]["generatedAt"][:10]
    return JSONResponse(
        document,
        headers={
            "Content-Disposition": f'attachment; filename="confidant-export-{day}.json"',
            "Cache-Control": "private, no-store",
        },
    )


@router.get("/api/export/schema")
async def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of GET /api/users/me/export."""
    return export_schema()
