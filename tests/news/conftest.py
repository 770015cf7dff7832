"""A real HTTP server for feeds (counting hits), and the app started with news settings."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import client_for, make_settings, started_app, upgrade_schema

DATA = Path(__file__).parent / "data"
RSS = DATA / "rss.xml"
ATOM = DATA / "atom.xml"


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # before answering
    trickle: float = 0.0  # between chunks of the body (64 bytes each)
    declare_length: bool = True


class FeedServer:
    """http.server on a free loopback port, in a thread; answers what `serve` set up."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: Counter[str] = Counter()
        self.user_agents: list[str] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body: bytes = b"", status: int = 200, **options: Any) -> str:
        self.routes[path] = Route(status=status, body=body, **options)
        return self.url(path)

    def _record(self, path: str, user_agent: str) -> Route | None:
        with self._lock:
            self.hits[path] += 1
            self.user_agents.append(user_agent)
        return self.routes.get(path)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # the body ends when the connection closes

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                route = server._record(self.path, self.headers.get("User-Agent", ""))
                route = route or Route(status=404, body=b"not here")
                time.sleep(route.delay)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(route.status)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if route.declare_length:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    self._write(route)

            def _write(self, route: Route) -> None:
                step = 64 if route.trickle else len(route.body) or 1
                for start in range(0, len(route.body), step):
                    self.wfile.write(route.body[start : start + step])
                    self.wfile.flush()
                    time.sleep(route.trickle)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    server.start()
    yield server
    server.stop()


NewsApi = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def news_api(tmp_path: Path) -> NewsApi:
    """`async with news_api(feeds, **settings) as http`: a client of an app started with
    these feeds (and other settings) on a fresh migrated data directory."""

    @contextlib.asynccontextmanager
    async def start(feeds: list[str], **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = make_settings(tmp_path / "data", news_feeds=feeds, **overrides)
        await upgrade_schema(settings)
        async with contextlib.aclosing(started_app(settings)) as apps:
            async for app in apps:
                async with client_for(app) as http:
                    yield http

    return start
