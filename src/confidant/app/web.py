"""The built web client (`make web` writes `web/dist`) at /, and the security headers.

No route matches a client page (`/chat/3`), so the client is the router's fallback: a
request no route took goes to `WebClient`, which hands API paths back to the router's
own 404 (the error shape, unchanged) and answers every other GET from the dist folder:

    /assets/<hashed name>   the file, cached for a year (`immutable`); missing: 404
    /sw.js, the manifest    the service worker and the web app manifest (its own type),
                            revalidated each time like the next; missing: 404
    any other file          the file, revalidated each time (`no-cache`)
    anything else           index.html (`no-cache`): a client route
    no index.html           503, a page saying to run `make web` (the API still works)

Routes are never shadowed, and a wrong method on an API path stays a 405.

`SecurityHeaders` puts a Content-Security-Policy and its companions on every answer; the
API's JSON does not care. The docs pages (Swagger UI, ReDoc) load their scripts and
styles from jsDelivr and run an inline script: they get a policy of their own that allows
those and, instead of 'unsafe-inline', the hash of each inline script they send.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INDEX = "index.html"
ASSETS = "assets/"
SERVICE_WORKER = "sw.js"  # a new build is a new worker: never cached without asking
MANIFEST = "manifest.webmanifest"
MANIFEST_TYPE = "application/manifest+json"
NEVER_THE_PAGE = frozenset({SERVICE_WORKER, MANIFEST})  # missing: 404, not index.html
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Every first path segment the API answers under; tests/app/test_web.py checks that every
# route of the app is under one of these, so a new one cannot be shadowed by the client.
API_SEGMENTS = frozenset(
    {"api", "v1", "ws", "ledger", "docs", "redoc", "openapi.json", "metrics", "healthz", "readyz"}
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' {hashes}" + CDN + "; "
    "style-src 'self' 'unsafe-inline' " + CDN + " https://fonts.googleapis.com; "
    "font-src 'self' data: https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
PERMISSIONS_POLICY = "camera=(self), microphone=(self), geolocation=(), payment=(), usb=()"
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": PERMISSIONS_POLICY,
}
INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL)

NOT_BUILT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Confidant: web client not built</title>
</head><body><h1>The web client is not built yet</h1>
<p>Run <code>make web</code> (or <code>make run</code>, which builds it) in the Confidant
checkout, then reload this page. It needs Node.js 20.19 or newer.</p>
<p>The API is running: its documentation is at <a href="/docs">/docs</a>.</p>
</body></html>
"""


def is_api_path(path: str) -> bool:
    return path.lstrip("/").split("/", 1)[0] in API_SEGMENTS


class WebClient:
    """What the router does when no route matches (see the module's docstring)."""

    def __init__(self, dist: Path, not_found: ASGIApp) -> None:
        self.dist = dist
        self.files = StaticFiles(directory=dist, check_dir=False)
        self.not_found = not_found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or is_api_path(path):
            await self.not_found(scope, receive, send)
            return
        response = await self._answer(scope)
        if response is None:
            await self.not_found(scope, receive, send)
            return
        await response(scope, receive, send)

    async def _answer(self, scope: Scope) -> Response | None:
        index, index_stat = self.files.lookup_path(INDEX)
        if index_stat is None:
            return HTMLResponse(NOT_BUILT, 503, headers={"Cache-Control": "no-store"})
        relative = self.files.get_path(scope)
        try:
            response = await self.files.get_response(relative, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            if relative.startswith(ASSETS) or relative in NEVER_THE_PAGE:
                return None  # a hashed asset (or the worker) that is not there: never index.html
            response = self.files.file_response(index, index_stat, scope)
            relative = INDEX
        response.headers["Cache-Control"] = IMMUTABLE if relative.startswith(ASSETS) else REVALIDATE
        if relative == MANIFEST:
            response.headers["Content-Type"] = MANIFEST_TYPE
        return response


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP answer (a route's own
    header of the same name wins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in DOCS_PATHS:
            await self._docs(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _with_headers(message.get("headers", []), PAGE_CSP)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A docs page is small: held whole, so its policy can name its inline scripts."""
        start: Message | None = None
        body = bytearray()

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            body.extend(message.get("body", b""))
            if message.get("more_body", False):
                return
            hashes = "".join(
                f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}' "
                for script in INLINE_SCRIPT.findall(bytes(body))
            )
            start["headers"] = _with_headers(
                start.get("headers", []), DOCS_CSP.format(hashes=hashes)
            )
            await send(start)
            await send({"type": "http.response.body", "body": bytes(body)})

        await self.app(scope, receive, hold)


def _with_headers(headers: list[tuple[bytes, bytes]], csp: str) -> list[tuple[bytes, bytes]]:
    present = {name.lower() for name, _ in headers}
    wanted = {"content-security-policy": csp, **HEADERS}
    added = [
        (name.encode(), value.encode())
        for name, value in wanted.items()
        if name.encode() not in present
    ]
    return [*headers, *added]


def install(app: FastAPI, dist: Path) -> None:
    """The web client as the router's fallback: after every route, before none. Its
    files go gzipped to a browser that takes it (the landing route's scripts: 373 kB
    raw, 120 kB gzipped); the API's answers, streams included, are left as they are."""
    app.router.default = GZipMiddleware(WebClient(dist, app.router.default), minimum_size=1024)
