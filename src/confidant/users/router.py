"""HTTP for the profile, medical card, avatar and the public emergency card."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from starlette.datastructures import UploadFile

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth.dependencies import CurrentPrincipal, bearer_token
from confidant.kit.errors import InvalidInput, PayloadTooLarge
from confidant.kit.schemas import ResourceId
from confidant.users import service
from confidant.users.qr import QrFormat
from confidant.users.schemas import (
    EmergencyCardOut,
    MedicalCardFields,
    MedicalCardOut,
    MeOut,
    MePatch,
)

if TYPE_CHECKING:
    from confidant.runtime import Runtime

router = APIRouter(tags=["users"])

IMAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}},
    **errors(404),
}


@router.get(
    "/api/users/me",
    response_model=MeOut,
    response_class=Response,
    openapi_extra={"security": [{"HTTPBearer": []}]},
)
async def get_me(request: Request) -> Response:
    """The caller's profile, preferences, stats and medical card."""
    # The hottest read: it takes no FastAPI dependencies (each costs a measurable share
    # of a cached answer) and opens a database session only on a read-cache miss.
    rt: Runtime = request.app.state.runtime
    token = bearer_token(request.headers.get("authorization"))
    body = service.cached_me_json(rt, token)
    if body is None:
        async with rt.db.transaction() as session:
            body = await service.me_json(rt, session, token)
    return Response(body, media_type="application/json")


@router.patch("/api/users/me", response_model=MeOut, responses=errors(409))
async def patch_me(
    body: MePatch, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> MeOut:
    return await service.update_me(rt, session, principal.user, body)


@router.delete("/api/users/me", status_code=status.HTTP_204_NO_CONTENT)
async def delete_me(principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep) -> None:
    """Delete the account for good: its data key is destroyed first (crypto-shredding)."""
    await service.delete_account(rt, session, principal.user)


@router.get("/api/users/me/medical-card", response_model=MedicalCardOut)
async def get_card(
    principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> MedicalCardOut:
    return await service.get_card(rt, session, principal.user)


@router.patch("/api/users/me/medical-card", response_model=MedicalCardOut)
async def patch_card(
    body: MedicalCardFields, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> MedicalCardOut:
    return await service.patch_card(rt, session, principal.user, body)


@router.put(
    "/api/users/me/avatar",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=errors(415),
    openapi_extra={
        "requestBody": {
            "content": {
                "image/png": {},
                "image/jpeg": {},
                "image/webp": {},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                    }
                },
            }
        }
    },
)
async def put_avatar(
    request: Request, principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> None:
    """Upload an avatar: the raw image as the body, or a multipart form field `file`."""
    upload = await _read_upload(request)
    if len(upload) > rt.settings.avatar_max_bytes:
        raise PayloadTooLarge("Avatar is larger than the allowed size")
    await service.put_avatar(rt, session, principal.user, upload)


async def _read_upload(request: Request) -> bytes:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await request.body()
    async with request.form(max_files=1, max_fields=1) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise InvalidInput(
                "Send the image as a multipart field named `file`",
                details=[{"field": "file", "message": "missing"}],
            )
        return await file.read()


def _avatar_response(content_type: str, data: bytes) -> Response:
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=60"}
    return Response(data, media_type=content_type, headers=headers)


@router.get("/api/users/me/avatar", response_class=Response, responses=IMAGE_RESPONSES)
async def get_my_avatar(
    principal: CurrentPrincipal, rt: RuntimeDep, session: SessionDep
) -> Response:
    return _avatar_response(*await service.get_avatar(rt, session, principal.user.id))


@router.get("/api/users/{user_id}/avatar", response_class=Response, responses=IMAGE_RESPONSES)
async def get_avatar(user_id: ResourceId, rt: RuntimeDep, session: SessionDep) -> Response:
    """Public: anyone may see a user's avatar."""
    return _avatar_response(*await service.get_avatar(rt, session, user_id))


@router.post(
    "/api/qr",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def regenerate_qr(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    format: Annotated[QrFormat, Query()] = "png",
) -> Response:
    """A new emergency-card QR code; the link in any earlier one stops working."""
    image, content_type, link = await service.regenerate_card_qr(
        rt, session, principal.user, format
    )
    return Response(image, media_type=content_type, headers={"X-Card-Link": link})


@router.get("/api/cards/{token}", response_model=EmergencyCardOut, response_model_exclude_none=True)
async def emergency_card(token: str, rt: RuntimeDep, session: SessionDep) -> EmergencyCardOut:
    """Public emergency view: only the fields the owner marked shareable."""
    return await service.emergency_card(rt, session, token)
