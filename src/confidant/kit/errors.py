"""Domain exceptions and the one JSON error shape every 4xx and 5xx uses."""

from __future__ import annotations

import errno
import sqlite3
from typing import Any


class DomainError(Exception):
    """An error a client caused or may act on; carries its HTTP status and a stable code."""

    status_code = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
        keep_changes: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}
        # True when the refusal itself must be recorded (a revoked token family, say):
        # the request's transaction then commits before the error is sent.
        self.keep_changes = keep_changes


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"

    def __init__(self, message: str = "Not authenticated", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class InvalidInput(DomainError):
    status_code = 422
    code = "validation_error"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status_code = 415
    code = "unsupported_media_type"


class TooManyRequests(DomainError):
    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, retry_after)
        self.headers["Retry-After"] = str(self.retry_after)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


class ServiceUnavailable(DomainError):
    """Something the service depends on is down for now; the client may try again later."""

    status_code = 503
    code = "service_unavailable"
    retry_after = 5

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("Retry-After", str(self.retry_after))


class DatabaseUnavailable(ServiceUnavailable):
    code = "database_unavailable"

    def __init__(self, message: str = "The database cannot be reached; try again shortly") -> None:
        super().__init__(message)


class RateLimiterUnavailable(ServiceUnavailable):
    """Sign-in limits cannot be checked (Redis is down): sign-in is refused, not unlimited."""

    code = "rate_limiter_unavailable"

    def __init__(
        self, message: str = "Sign-in is unavailable for a moment; try again shortly"
    ) -> None:
        super().__init__(message)


class StorageFull(DomainError):
    """The disk the service writes to has no space left; nothing was half written."""

    status_code = 507
    code = "storage_full"

    def __init__(
        self, message: str = "The server's storage is full; nothing was saved. Try again later"
    ) -> None:
        super().__init__(message)


def is_out_of_space(error: BaseException) -> bool:
    """`error`, or one it came from, is the disk (or a quota) running out of space: an
    OSError, or SQLite's "database or disk is full"."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if getattr(current, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            return True
        current = current.__cause__ or current.__context__
    return False
