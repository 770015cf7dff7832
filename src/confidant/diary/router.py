"""HTTP for the diary and diary import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, UploadFile, status

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal
from confidant.diary import service
from confidant.diary.schemas import EntryCreate, EntryOut, EntryPatch, ImportResult
from confidant.idempotency.dependencies import Idempotent
from confidant.kit.errors import PayloadTooLarge
from confidant.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, refuse_reversed_range
from confidant.kit.schemas import IsoDate, ResourceId

router = APIRouter(prefix="/api/diary", tags=["diary"])


@router.post("", response_model=EntryOut, status_code=status.HTTP_201_CREATED)
async def create_entry(
    body: EntryCreate,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    once: Idempotent,
) -> EntryOut:
    return await once(lambda: service.create(rt, session, principal.user, body))


@router.get("", response_model=Page[EntryOut])
async def list_entries(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    since: Annotated[IsoDate | None, Query(alias="from")] = None,
    until: Annotated[IsoDate | None, Query(alias="to")] = None,
) -> Page[EntryOut]:
    """Entries newest first, optionally between `from` and `to` (inclusive)."""
    refuse_reversed_range(since, until)
    return await service.list_entries(rt, session, principal.user, cursor, limit, since, until)


@router.post(
    "/import",
    response_model=ImportResult,
    status_code=status.HTTP_201_CREATED,
    responses=errors(415),
)
async def import_entries(
    file: UploadFile, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> ImportResult:
    """Import a .txt or .md diary (dated headings start entries) or a JSON export."""
    raw = await file.read(rt.settings.diary_import_max_bytes + 1)
    if len(raw) > rt.settings.diary_import_max_bytes:
        raise PayloadTooLarge("The file is larger than the import limit")
    return await service.import_file(rt, session, principal.user, file.filename or "", raw)


@router.get("/{entry_id}", response_model=EntryOut)
async def get_entry(
    entry_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> EntryOut:
    return await service.get(rt, session, principal.user, entry_id)


@router.patch("/{entry_id}", response_model=EntryOut)
async def update_entry(
    entry_id: ResourceId,
    body: EntryPatch,
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
) -> EntryOut:
    return await service.update(rt, session, principal.user, entry_id, body)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_entry(
    entry_id: ResourceId, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> None:
    await service.delete(rt, session, principal.user, entry_id)
