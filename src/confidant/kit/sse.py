"""Server-Sent Events framing for replies, shared by the chat and OpenAI-compatible APIs."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def wants_event_stream(request: Request) -> bool:
    return "text/event-stream" in request.headers.get("accept", "")


def sse(event: str | None, data: Any) -> bytes:
    payload = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {payload}\n\n".encode()


async def primed(stream: AsyncIterator[str]) -> AsyncIterator[str]:
    """Start `stream` now, so a busy or missing model is an HTTP error, not a broken stream."""
    first = await anext(stream, None)

    async def rest() -> AsyncIterator[str]:
        if first is not None:
            yield first
        async for delta in stream:
            yield delta

    return rest()
