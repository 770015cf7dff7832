"""HTTP for /api/auth: registration and the four ways to sign in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from confidant.app.deps import ClientIp, RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth import api_keys, service
from confidant.auth.dependencies import CurrentPrincipal, OptionalPrincipal
from confidant.auth.models import ApiKey, Session
from confidant.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    LoginIn,
    PinIn,
    PinLoginIn,
    QrLoginIn,
    RefreshIn,
    RegisterIn,
    SessionOut,
    TokensOut,
)
from confidant.auth.service import Principal
from confidant.kit.schemas import ResourceId
from confidant.users import service as users_service
from confidant.users.qr import QrFormat, render_qr
from confidant.users.schemas import RegisterOut

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterOut,
    responses=errors(409, 429),
)
async def register(
    body: RegisterIn, rt: RuntimeDep, session: SessionDep, ip: ClientIp, caller: OptionalPrincipal
) -> RegisterOut:
    """Create an account. Called with a guest's access token, upgrades that guest."""
    await service.throttle(rt, "register", ip=ip)
    guest = caller.user if caller is not None and caller.is_guest else None
    registered = await service.register(rt, session, body, guest=guest)
    card = await users_service.registered_card(session, registered.user, registered.key)
    return RegisterOut(**registered.tokens.model_dump(), medical_card=card)


@router.post("/login", response_model=TokensOut, responses=errors(401, 429))
async def login(body: LoginIn, rt: RuntimeDep, session: SessionDep, ip: ClientIp) -> TokensOut:
    return await service.login(rt, session, body.email, body.password, ip)


@router.post("/refresh", response_model=TokensOut, responses=errors(401))
async def refresh(body: RefreshIn, rt: RuntimeDep, session: SessionDep) -> TokensOut:
    return await service.refresh(rt, session, body.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(principal: CurrentPrincipal, session: SessionDep) -> None:
    await service.logout(session, principal)


@router.put("/pin", status_code=status.HTTP_204_NO_CONTENT, responses=errors(403))
async def set_pin(body: PinIn, principal: CurrentPrincipal, rt: RuntimeDep) -> None:
    await service.set_pin(rt, principal, body.pin)


@router.post("/pin-login", response_model=TokensOut, responses=errors(401, 429))
async def pin_login(
    body: PinLoginIn, rt: RuntimeDep, session: SessionDep, ip: ClientIp
) -> TokensOut:
    return await service.pin_login(rt, session, body.user_id, body.pin, ip)


@router.get(
    "/qr",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def login_qr(
    principal: CurrentPrincipal,
    rt: RuntimeDep,
    session: SessionDep,
    format: Annotated[QrFormat, Query()] = "png",
) -> Response:
    """A single-use sign-in QR code for a second device (expires in a few minutes)."""
    text, expires_at = await service.issue_login_qr(rt, session, principal)
    image, content_type = render_qr(text, format)
    headers = {"Cache-Control": "no-store", "X-Expires-At": expires_at.isoformat()}
    return Response(image, media_type=content_type, headers=headers)


@router.post("/qr-login", response_model=TokensOut, responses=errors(401, 429))
async def qr_login(body: QrLoginIn, rt: RuntimeDep, session: SessionDep, ip: ClientIp) -> TokensOut:
    return await service.qr_login(rt, session, body.qr, ip)


@router.post(
    "/guest", status_code=status.HTTP_201_CREATED, response_model=TokensOut, responses=errors(429)
)
async def guest(rt: RuntimeDep, session: SessionDep, ip: ClientIp) -> TokensOut:
    return await service.start_guest(rt, session, ip)


@router.get("/sessions", response_model=list[SessionOut])
async def sessions(principal: CurrentPrincipal, session: SessionDep) -> list[SessionOut]:
    """The caller's signed-in devices."""
    rows = await service.list_sessions(session, principal)
    return [_session_out(row, principal) for row in rows]


def _session_out(row: Session, principal: Principal) -> SessionOut:
    current = row.family_id == principal.family_id
    return SessionOut(
        id=row.id, created_at=row.created_at, expires_at=row.expires_at, current=current
    )


@router.get("/sessions/{session_id}", response_model=SessionOut)
async def get_session(
    session_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> SessionOut:
    """One of the caller's signed-in devices."""
    return _session_out(await service.own_session(session, principal, session_id), principal)


@router.delete("/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_session(
    session_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Sign one device out."""
    await service.revoke_session(session, principal, session_id)


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    responses=errors(403),
)
async def create_api_key(
    body: ApiKeyCreate, principal: CurrentPrincipal, session: SessionDep
) -> ApiKeyCreated:
    """A personal key for the OpenAI-compatible API (/v1). The key is shown only here."""
    record, plaintext = api_keys.create(session, principal, body.name)
    await session.flush()
    return ApiKeyCreated(**_api_key_out(record).model_dump(), key=plaintext)


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(principal: CurrentPrincipal, session: SessionDep) -> list[ApiKeyOut]:
    return [_api_key_out(record) for record in await api_keys.list_keys(session, principal)]


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_api_key(
    key_id: ResourceId, principal: CurrentPrincipal, session: SessionDep
) -> None:
    await api_keys.revoke(session, principal, key_id)


def _api_key_out(record: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=record.id,
        name=record.name,
        prefix=record.prefix,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
    )
