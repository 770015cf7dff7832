"""Pure ASGI middleware: request ids, Prometheus metrics, the request body limit and the
JSON nesting limit."""

from __future__ import annotations

import itertools
import json
import re
import secrets
import time
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confidant.app.http_errors import HTTP_CODES
from confidant.app.metrics import Metrics
from confidant.kit.errors import error_body
from confidant.kit.jsonsafe import MAX_JSON_DEPTH, nested_deeper_than

REQUEST_ID_HEADER = b"x-request-id"
VALID_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._\-]{1,128}$")


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID when sane) and records metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            labels = (scope["method"], template, str(status))
            self.metrics.requests.labels(*labels).inc()
            self.metrics.latency.labels(*labels).observe(time.perf_counter() - started)


# A random per-process prefix and a counter: unique like a UUID, without a urandom call
# per request (which showed up at 7% of a cached request's time).
_ID_PREFIX = secrets.token_hex(8)
_id_counter = itertools.count(1)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and VALID_REQUEST_ID.match(value):
            return str(value.decode())
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, default_limit: int, path_limits: Mapping[str, int]) -> None:
        self.app = app
        self.default_limit = default_limit
        self.path_limits = dict(path_limits)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is None and scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)  # no body to police
            return
        limit = self.path_limits.get(scope["path"], self.default_limit)
        if declared is not None and declared > limit:
            await _send_too_large(send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Starlette HTTPExceptions pass through FastAPI's body parsing untouched.
                    raise HTTPException(413, f"Request body is larger than {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class JsonDepthMiddleware:
    """Refuses JSON request bodies nested deeper than a limit with 400, before any parser
    sees them. Sits inside the body limit, which bounds what it buffers."""

    def __init__(self, app: ASGIApp, limit: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _may_be_json(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            try:
                message = await receive()
            except HTTPException as refused:  # the body limit, outside FastAPI's handlers
                code = HTTP_CODES.get(refused.status_code, "error")
                await _send_error(send, refused.status_code, code, str(refused.detail))
                return
            if message["type"] != "http.request":
                await self.app(scope, _replay(message, receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if nested_deeper_than(body, self.limit):
            refusal = f"Request body is nested deeper than {self.limit} levels"
            await _send_error(send, 400, "json_too_deep", refusal)
            return
        replayed: Message = {"type": "http.request", "body": body, "more_body": False}
        await self.app(scope, _replay(replayed, receive), send)


def _may_be_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when it says so, or says nothing of its type."""
    for name, value in scope["headers"]:
        if name == b"content-type":
            media_type: bytes = value.split(b";", 1)[0].strip().lower()
            return media_type == b"application/json" or media_type.endswith(b"+json")
    return scope["method"] not in ("GET", "HEAD", "OPTIONS")


def _replay(first: Message, receive: Receive) -> Receive:
    """`receive`, answering `first` (already read) before anything else."""
    pending = [first]

    async def replaying_receive() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replaying_receive


async def _send_too_large(send: Send, limit: int) -> None:
    message = f"Request body is larger than {limit} bytes"
    await _send_error(send, 413, "payload_too_large", message)


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
