"""Who is calling: bearer access tokens resolved to a live principal."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from confidant.app.deps import RuntimeDep, SessionDep
from confidant.app.openapi import optional_scheme
from confidant.auth import service
from confidant.auth.service import Principal
from confidant.kit.errors import Unauthorized

ACCESS_TOKEN = "Access token from /api/auth/*"
bearer = HTTPBearer(auto_error=False, description=ACCESS_TOKEN)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
# The same scheme, where calling without a token is allowed too (the spec says optional).
optional_bearer = HTTPBearer(
    auto_error=False, scheme_name=optional_scheme("HTTPBearer"), description=ACCESS_TOKEN
)
OptionalCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(optional_bearer)]


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` header; 401 when there is none."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Not authenticated")
    return token.strip()


async def current_principal(
    rt: RuntimeDep, session: SessionDep, credentials: Credentials
) -> Principal:
    if credentials is None:
        raise Unauthorized("Not authenticated")
    return await service.authenticate(rt, session, credentials.credentials)


async def optional_principal(
    rt: RuntimeDep, session: SessionDep, credentials: OptionalCredentials
) -> Principal | None:
    if credentials is None:
        return None
    return await service.authenticate(rt, session, credentials.credentials)


async def principal_without_session(rt: RuntimeDep, credentials: Credentials) -> Principal:
    """For long-running endpoints (streaming replies): authenticates in a short transaction
    of its own, so no database connection is held while the model writes."""
    if credentials is None:
        raise Unauthorized("Not authenticated")
    async with rt.db.transaction() as session:
        return await service.authenticate(rt, session, credentials.credentials)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
StreamingPrincipal = Annotated[Principal, Depends(principal_without_session)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
