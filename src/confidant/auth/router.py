"""HTTP for /api/auth: registration and the four ways to sign in, and cookie mode."""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Cookie, Depends, Header, Query, Response, status

from confidant.app.deps import ClientIp, RuntimeDep, SessionDep
from confidant.app.openapi import errors
from confidant.auth import api_keys, service
from confidant.auth.dependencies import (
    CurrentPrincipal,
    OptionalCredentials,
    OptionalPrincipal,
    current_principal,
)
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
from confidant.kit.errors import InvalidInput, Unauthorized
from confidant.kit.schemas import ResourceId
from confidant.users import service as users_service
from confidant.users.qr import QrFormat, render_qr
from confidant.users.schemas import RegisterOut

router = APIRouter(prefix="/api/auth", tags=["auth"])

# --- cookie mode: the refresh token as an HttpOnly cookie (the web client's way) ---------
#
# A request carrying `X-Refresh-Cookie: 1` to an endpoint that issues tokens gets its
# refresh token as the `confidant_refresh` cookie (HttpOnly, SameSite=Strict, scoped to
# /api/auth, Secure when PUBLIC_BASE_URL is https) and `refreshToken: null` in the body;
# refresh and logout with the header read the cookie. Without the header the cookie is
# never read, so every other client keeps its JSON refresh tokens.
#
# The header is also the CSRF guard: the cookie is only ever used when the request
# carries a custom header, which a cross-site form or link cannot send, and which a
# cross-origin script can only send after a CORS preflight that this service never
# allows (it answers no CORS at all). SameSite=Strict is the second lock.

REFRESH_COOKIE = "confidant_refresh"
REFRESH_COOKIE_PATH = "/api/auth"
REFRESH_COOKIE_HEADER = "X-Refresh-Cookie"

Tokens = TypeVar("Tokens", bound=TokensOut)


async def cookie_mode(
    x_refresh_cookie: Annotated[
        Literal["1"] | None,
        Header(
            alias=REFRESH_COOKIE_HEADER,
            description="`1`: cookie mode. The refresh token travels as the HttpOnly "
            f"`{REFRESH_COOKIE}` cookie, never in the JSON body",
        ),
    ] = None,
) -> bool:
    return x_refresh_cookie is not None


CookieMode = Annotated[bool, Depends(cookie_mode)]
RefreshCookie = Annotated[
    str | None,
    Cookie(
        alias=REFRESH_COOKIE,
        description="The refresh token in cookie mode (set by this service; read only "
        f"with `{REFRESH_COOKIE_HEADER}: 1`)",
    ),
]


def _deliver(rt: RuntimeDep, response: Response, cookie: bool, tokens: Tokens) -> Tokens:
    """The tokens as asked for: in cookie mode the refresh token goes into the cookie
    (Max-Age: the token's own lifetime) and the body's is null."""
    if not cookie or tokens.refresh_token is None:
        return tokens
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=service.refresh_lifetime(rt, tokens.refresh_token),
        path=REFRESH_COOKIE_PATH,
        secure=rt.settings.public_base_is_https,
        httponly=True,
        samesite="strict",
    )
    return tokens.model_copy(update={"refresh_token": None})


def _clear_cookie(rt: RuntimeDep, response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=rt.settings.public_base_is_https,
        httponly=True,
        samesite="strict",
    )


def _the_cookie(rt: RuntimeDep, refresh_cookie: str | None) -> str:
    if not refresh_cookie:
        raise _clearing(rt, Unauthorized(f"No {REFRESH_COOKIE} cookie: sign in again"))
    return refresh_cookie


def _clearing(rt: RuntimeDep, error: Unauthorized) -> Unauthorized:
    """A refusal in cookie mode also clears the cookie: it can never work again."""
    cleared = Response()
    _clear_cookie(rt, cleared)
    error.headers["Set-Cookie"] = cleared.headers["set-cookie"]
    return error


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=RegisterOut,
    responses=errors(409, 429),
)
async def register(
    body: RegisterIn,
    rt: RuntimeDep,
    session: SessionDep,
    ip: ClientIp,
    caller: OptionalPrincipal,
    response: Response,
    cookie: CookieMode,
) -> RegisterOut:
    """Create an account. Called with a guest's access token, upgrades that guest."""
    await service.throttle(rt, "register", ip=ip)
    guest = caller.user if caller is not None and caller.is_guest else None
    registered = await service.register(rt, session, body, guest=guest)
    card = await users_service.registered_card(session, registered.user, registered.key)
    tokens = _deliver(rt, response, cookie, registered.tokens)
    return RegisterOut(**tokens.model_dump(), medical_card=card)


@router.post("/login", response_model=TokensOut, responses=errors(401, 429))
async def login(
    body: LoginIn,
    rt: RuntimeDep,
    session: SessionDep,
    ip: ClientIp,
    response: Response,
    cookie: CookieMode,
) -> TokensOut:
    tokens = await service.login(rt, session, body.email, body.password, ip)
    return _deliver(rt, response, cookie, tokens)


@router.post("/refresh", response_model=TokensOut, responses=errors(401))
async def refresh(
    rt: RuntimeDep,
    session: SessionDep,
    response: Response,
    cookie: CookieMode,
    refresh_cookie: RefreshCookie = None,
    body: RefreshIn | None = None,
) -> TokensOut:
    """Rotate the refresh token (the body's, or in cookie mode the cookie's). Presenting
    one already rotated ends that whole sign-in."""
    given = body.refresh_token if body is not None else None
    if not cookie:
        if given is None:
            raise _missing_refresh_token()
        return await service.refresh(rt, session, given)
    if given is not None:
        raise InvalidInput(
            f"In cookie mode the refresh token is the {REFRESH_COOKIE} cookie; send no "
            "refreshToken in the body",
            details=[_field_error("refreshToken", "Not allowed in cookie mode", "extra_forbidden")],
        )
    try:
        tokens = await service.refresh(rt, session, _the_cookie(rt, refresh_cookie))
    except Unauthorized as error:
        raise _clearing(rt, error) from None
    return _deliver(rt, response, cookie, tokens)


def _missing_refresh_token() -> InvalidInput:
    return InvalidInput(
        "Request is invalid",
        details=[_field_error("refreshToken", "Field required", "missing")],
    )


def _field_error(field: str, message: str, kind: str) -> dict[str, str]:
    """One entry of a 422's details, as the validation handler writes them."""
    return {"field": f"body.{field}", "message": message, "type": kind}


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401))
async def logout(
    rt: RuntimeDep,
    session: SessionDep,
    credentials: OptionalCredentials,
    response: Response,
    cookie: CookieMode,
    refresh_cookie: RefreshCookie = None,
) -> None:
    """End this sign-in: the bearer token's, or in cookie mode (no token needed) the
    cookie's, and clear the cookie."""
    if not cookie:
        await service.logout(session, await current_principal(rt, session, credentials))
        return
    try:
        await service.logout_by_refresh(rt, session, _the_cookie(rt, refresh_cookie))
    except Unauthorized as error:
        raise _clearing(rt, error) from None
    _clear_cookie(rt, response)


@router.put("/pin", status_code=status.HTTP_204_NO_CONTENT, responses=errors(403))
async def set_pin(body: PinIn, principal: CurrentPrincipal, rt: RuntimeDep) -> None:
    await service.set_pin(rt, principal, body.pin)


@router.post("/pin-login", response_model=TokensOut, responses=errors(401, 429))
async def pin_login(
    body: PinLoginIn,
    rt: RuntimeDep,
    session: SessionDep,
    ip: ClientIp,
    response: Response,
    cookie: CookieMode,
) -> TokensOut:
    tokens = await service.pin_login(rt, session, body.user_id, body.pin, ip)
    return _deliver(rt, response, cookie, tokens)


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
async def qr_login(
    body: QrLoginIn,
    rt: RuntimeDep,
    session: SessionDep,
    ip: ClientIp,
    response: Response,
    cookie: CookieMode,
) -> TokensOut:
    tokens = await service.qr_login(rt, session, body.qr, ip)
    return _deliver(rt, response, cookie, tokens)


@router.post(
    "/guest", status_code=status.HTTP_201_CREATED, response_model=TokensOut, responses=errors(429)
)
async def guest(
    rt: RuntimeDep, session: SessionDep, ip: ClientIp, response: Response, cookie: CookieMode
) -> TokensOut:
    tokens = await service.start_guest(rt, session, ip)
    return _deliver(rt, response, cookie, tokens)


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
