"""The OpenAPI document as the service behaves: every status an operation can answer, each
error in the one shape, and security marked as the auth dependencies ask.

Routers declare what only they know, with `errors(...)`: a conflict, a rate limit, the
model being unavailable. What follows from how the app is built is added to every
operation by `install`: 401 where a bearer token is accepted, 400 and 413 where a body is,
404 where a path names something, 409 where an `Idempotency-Key` is taken (reused for
another request, or its first request still running), and 422 in the error shape (not
FastAPI's own).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

ERROR_SCHEMA = "ErrorResponse"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}

DESCRIPTIONS: dict[int, str] = {
    400: (
        "Malformed request: the body is not valid JSON (`invalid_json`), is nested deeper "
        "than 64 levels (`json_too_deep`), or cannot be parsed, or a value is out of range"
    ),
    401: "Missing, invalid, expired or revoked credentials",
    403: "Signed in, but not allowed to do this",
    404: "Not found: there is no such thing, or it is not the caller's",
    409: "Conflicts with the current state",
    413: "The request body (or an uploaded file) is larger than the limit",
    415: "The file or body is of a type this operation does not take",
    422: "A field, parameter or value is invalid (`validation_error`; `details` says which)",
    429: "Too many attempts; try again after `Retry-After` seconds",
    502: "The model server gave a bad answer or cannot be reached",
    503: "The model (or engine) is unavailable, still loading, or busy",
    504: "The model server did not answer in time",
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}},
    },
    429: RETRY_AFTER,
    503: RETRY_AFTER,
}

MODEL_ERRORS = (502, 503, 504)
"""What an operation that runs the model may answer when the model cannot."""

IDEMPOTENCY_HEADER = "Idempotency-Key"  # idempotency/dependencies.py takes it
IDEMPOTENCY_CONFLICT = (
    "The Idempotency-Key was used for a different request (`idempotency_key_reused`), or "
    "the first request with it is still running (`idempotency_in_progress`)"
)

JSON_BODY_ERRORS = (400, 413)
"""Every operation with a body: unreadable (400) or larger than the limit (413)."""


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable and machine-readable, e.g. `not_found`")
    message: str = Field(description="For people")
    details: Any = Field(description="More about the error (for 422: the fields), or null")


class ErrorResponse(BaseModel):
    """The one shape of every 4xx and 5xx answer."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


def error_response(status: int) -> dict[str, Any]:
    """The OpenAPI response object of one error status."""
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": dict(ERROR_REF)}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route or router: these error statuses, in the error shape."""
    return {status: error_response(status) for status in statuses}


# --- optional credentials ------------------------------------------------------------

OPTIONAL = "~optional"


def optional_scheme(name: str) -> str:
    """The `scheme_name` of a security dependency that lets callers without credentials
    through (`auto_error=False` and no 401 when they are missing). Its operations come out
    as `security: [{}, {name: []}]`: the credentials are optional."""
    return name + OPTIONAL


# --- completing the document ---------------------------------------------------------


def install(app: FastAPI) -> None:
    """Serve the document completed by `complete` at /openapi.json (and to the docs)."""
    build = app.openapi
    completed: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = build()  # FastAPI's own, cached until the routes change
        if not completed or completed[0] is not document:
            completed[:] = [complete(document)]
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Adds to FastAPI's document, in place, what follows from how the app is built."""
    paths: dict[str, dict[str, Any]] = document.get("paths", {})
    for operation in (op for item in paths.values() for op in item.values()):
        _mark_optional_security(operation)
        _complete_operation(operation)
    components = document.setdefault("components", {})
    schemes: dict[str, Any] = components.get("securitySchemes", {})
    for name in [name for name in schemes if name.endswith(OPTIONAL)]:
        schemes.setdefault(name.removesuffix(OPTIONAL), schemes.pop(name))
    schemas = components.setdefault("schemas", {})
    error_schema = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas[ERROR_SCHEMA] = error_schema
    # FastAPI's own 422 shape is never sent: the error handlers answer in ours.
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["schemas"] = dict(sorted(schemas.items()))
    return document


def _mark_optional_security(operation: dict[str, Any]) -> None:
    requirements: list[dict[str, list[str]]] = operation.get("security", [])
    if not any(name.endswith(OPTIONAL) for requirement in requirements for name in requirement):
        return
    marked: list[dict[str, list[str]]] = [{}]
    for requirement in requirements:
        plain = {name.removesuffix(OPTIONAL): scopes for name, scopes in requirement.items()}
        if plain and plain not in marked:
            marked.append(plain)
    operation["security"] = marked


def _complete_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    statuses: set[int] = set()
    if any(requirement for requirement in operation.get("security", [])):
        statuses.add(401)
    if "requestBody" in operation:
        statuses.update(JSON_BODY_ERRORS)
    parameters = operation.get("parameters", [])
    if any(parameter.get("in") == "path" for parameter in parameters):
        statuses.add(404)
    keyed = any(_is_idempotency_key(parameter) for parameter in parameters)
    own_conflict = "409" in responses  # the route's own, before the key's is added
    if keyed:
        statuses.add(409)
    if parameters or "requestBody" in operation or "422" in responses:
        statuses.add(422)
    for status in statuses:
        declared = responses.get(str(status), {})
        responses[str(status)] = {**error_response(status), **_kept(declared)}
    if keyed:
        conflict = responses["409"]
        conflict["description"] = (
            f"{conflict['description']}; or: {IDEMPOTENCY_CONFLICT}"
            if own_conflict
            else IDEMPOTENCY_CONFLICT
        )
    operation["responses"] = dict(sorted(responses.items()))


def _is_idempotency_key(parameter: dict[str, Any]) -> bool:
    return bool(
        parameter.get("in") == "header"
        and str(parameter.get("name", "")).lower() == IDEMPOTENCY_HEADER.lower()
    )


def _kept(declared: dict[str, Any]) -> dict[str, Any]:
    """What a route said of an error status itself, beyond FastAPI's defaults."""
    kept = {key: value for key, value in declared.items() if key == "headers"}
    if "description" in declared and declared["description"] != "Validation Error":
        kept["description"] = declared["description"]
    return kept
