from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel, Email, Phone

Password = Annotated[str, StringConstraints(min_length=8, max_length=256, strip_whitespace=False)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4,8}$")]


class RegisterIn(ApiInput):
    email: Email
    password: Password
    name: Name
    phone: Phone | None = None


class LoginIn(ApiInput):
    email: Email
    password: Annotated[str, StringConstraints(max_length=256, strip_whitespace=False)]


class RefreshIn(ApiInput):
    refresh_token: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = Field(
        default=None,
        description="Required, unless the request is in cookie mode (`X-Refresh-Cookie: 1`): "
        "the token is then the `confidant_refresh` cookie, and this is left out",
    )


class PinIn(ApiInput):
    pin: Pin


class PinLoginIn(ApiInput):
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    pin: Pin


class QrLoginIn(ApiInput):
    qr: Annotated[str, StringConstraints(min_length=1, max_length=4096)]


class TokensOut(ApiModel):
    access_token: str
    refresh_token: str | None = Field(
        description="null in cookie mode (`X-Refresh-Cookie: 1`): the refresh token is then "
        "the HttpOnly `confidant_refresh` cookie"
    )
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")
    user_id: str
    role: str


class SessionOut(ApiModel):
    id: str
    created_at: datetime
    expires_at: datetime
    current: bool


class ApiKeyCreate(ApiInput):
    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]


class ApiKeyOut(ApiModel):
    id: str
    name: str
    prefix: str = Field(description="The key's first characters, to recognise it")
    created_at: datetime
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself: shown this once, never again")
