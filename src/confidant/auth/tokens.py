"""JWTs with PyJWT: HS256 pinned; every token carries exp (unless permanent), iat, jti, typ."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from confidant.kit.db import utcnow
from confidant.kit.errors import Unauthorized

ALGORITHM = "HS256"
ISSUER = "confidant"

ACCESS = "access"
REFRESH = "refresh"
QR_LOGIN = "qr-login"
CARD_SHARE = "card"


@dataclass(frozen=True)
class IssuedToken:
    token: str
    jti: str
    expires_at: datetime | None


def jti_digest(jti: str) -> str:
    """What the sessions table stores in place of a token."""
    return hashlib.sha256(jti.encode()).hexdigest()


class TokenCodec:
    def __init__(self, secret: str, cache_size: int = 10_000) -> None:
        self._secret = secret
        # Verified claims of recent expiring tokens: a token is immutable, so only its
        # expiry needs checking again on a hit.
        self._verified: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    def issue(self, typ: str, subject: str, ttl: timedelta | None, **claims: Any) -> IssuedToken:
        now = utcnow()
        jti = secrets.token_urlsafe(16)
        payload: dict[str, Any] = {
            "iss": ISSUER,
            "sub": subject,
            "typ": typ,
            "jti": jti,
            "iat": int(now.timestamp()),
            **claims,
        }
        expires_at = None
        if ttl is not None:
            expires_at = now + ttl
            payload["exp"] = int(expires_at.timestamp())
        return IssuedToken(jwt.encode(payload, self._secret, algorithm=ALGORITHM), jti, expires_at)

    def decode(self, token: str, typ: str, *, expiring: bool = True) -> dict[str, Any]:
        """Verified claims of a token of type `typ`; anything else is 401."""
        cached = self._verified.get((token, typ)) if expiring else None
        if cached is not None:
            if cached["exp"] <= time.time():
                raise Unauthorized("Token has expired", details={"reason": "expired"})
            return cached
        claims = self._verify(token, typ, expiring)
        if expiring:
            self._verified[(token, typ)] = claims
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str, typ: str, expiring: bool) -> dict[str, Any]:
        required = ["sub", "typ", "jti", "iat", "iss"] + (["exp"] if expiring else [])
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token has expired", details={"reason": "expired"}) from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("Token is invalid") from exc
        if claims["typ"] != typ:
            raise Unauthorized("Token is invalid")
        return claims
