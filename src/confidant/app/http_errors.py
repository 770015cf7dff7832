"""Exception handlers: every error leaves as {"error": {"code", "message", "details"}}, and
the OpenAPI document says so (`confidant.app.openapi`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sql_errors
from starlette.exceptions import HTTPException

from confidant.app import openapi
from confidant.kit.db import is_unavailable
from confidant.kit.errors import (
    DatabaseUnavailable,
    DomainError,
    StorageFull,
    error_body,
    is_out_of_space,
)

log = logging.getLogger("confidant")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "service_unavailable",
    507: "storage_full",
}


def _json(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return _json(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(error.get("type") == "json_invalid" for error in errors):
        return _json(400, "invalid_json", "Request body is not valid JSON")
    fields = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "message": error.get("msg", "invalid"),
            "type": error.get("type"),
        }
        for error in errors
    ]
    return _json(422, "validation_error", "Request is invalid", fields)


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    return _json(exc.status_code, code, str(exc.detail), headers=exc.headers)


def as_fault(exc: Exception) -> DomainError | None:
    """The error a failing dependency raised, as what the client is told: the disk full
    (507), the database gone or out of connections (503); None for a bug."""
    if is_out_of_space(exc):
        return StorageFull()
    if is_unavailable(exc):
        return DatabaseUnavailable()
    return None


async def infrastructure_error(request: Request, exc: Exception) -> JSONResponse:
    """A database or OS error: a fault of the moment answers in the error shape with its
    own status, anything else is a bug (500)."""
    fault = as_fault(exc)
    if fault is None:
        return await unexpected_error(request, exc)
    log.warning(
        "%s on %s %s: %s: %s",
        fault.code,
        request.method,
        request.url.path,
        type(exc).__name__,
        exc,
    )
    return await domain_error(request, fault)


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return _json(500, "internal_error", "Something went wrong on our side")


def install(app: FastAPI) -> None:
    """The handlers, and the errors they answer documented on every operation."""
    openapi.install(app)
    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    for infrastructure in (sql_errors.DBAPIError, sql_errors.TimeoutError, OSError):
        app.add_exception_handler(infrastructure, infrastructure_error)
    app.add_exception_handler(Exception, unexpected_error)
