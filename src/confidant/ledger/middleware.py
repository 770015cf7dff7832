"""ASGI middleware: one ledger leaf per API call.

It runs inside RequestContextMiddleware (which sets the request id) and opens the
call's ledger context, where authentication names the caller. The leaf is built after
the response is sent and waits in memory for the sequencer."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from confidant.kit.db import utcnow
from confidant.ledger.context import api_call
from confidant.ledger.leaves import api_call_leaf
from confidant.ledger.store import PendingLeaf

if TYPE_CHECKING:
    from confidant.ledger.log import Ledger

# Entry bundles too: an administrator reading pseudonyms and times is itself on record.
RECORDED_PREFIXES = ("/api/", "/v1/", "/ledger/tile/entries/")
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


class LedgerMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ledger = _ledger_of(scope)
        if (
            ledger is None
            or scope["type"] not in ("http", "websocket")
            or not scope["path"].startswith(RECORDED_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id", "")
        started = time.perf_counter()
        at = utcnow()
        status = 500
        body_hash: hashlib._Hash | None = None

        async def hashing_receive() -> Message:
            nonlocal body_hash
            message = await receive()
            if message["type"] == "http.request":
                body_hash = body_hash or hashlib.sha256()
                body_hash.update(message.get("body", b""))
            return message

        async def status_send(message: Message) -> None:
            nonlocal status
            kind = message["type"]
            if kind == "http.response.start":
                status = message["status"]
            elif kind == "websocket.accept":
                status = 101
            elif kind == "websocket.close" and status == 500:
                status = 403  # closed before accepting
            await send(message)

        with api_call(request_id) as call:
            try:
                await self.app(scope, hashing_receive, status_send)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                subject = ledger.pseudonyms.subject(call.user_id)
                data = api_call_leaf(
                    method="WS" if scope["type"] == "websocket" else scope["method"],
                    route=route,
                    status=status,
                    subject=subject,
                    request_id=request_id,
                    at=at,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    body_sha256=body_hash.hexdigest() if body_hash else EMPTY_BODY_SHA256,
                )
                ledger.calls.add(PendingLeaf(data, subject))


def _ledger_of(scope: Scope) -> Ledger | None:
    runtime = getattr(scope["app"].state, "runtime", None)
    return None if runtime is None else runtime.ledger
