"""Time bounds for benchmark phases: every wait ends, and a phase that runs out says so.

A benchmark that waits forever on a server that stopped answering reports nothing; with
these, a stuck turn is counted as lost and the phase (and then the benchmark) goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

import httpx

T = TypeVar("T")

TURN_SECONDS = 60.0  # one chat turn, however loaded the machine
READY_SECONDS = 180.0  # a server loading its models


class PhaseRanOut(Exception):
    """A phase did not finish within its time."""


async def within(seconds: float, awaitable: Awaitable[T], what: str) -> T:
    """`awaitable`'s result, or PhaseRanOut naming `what` after `seconds`."""
    try:
        return await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        raise PhaseRanOut(f"{what}: no answer within {seconds:.0f} s") from None


async def phase(name: str, seconds: float, work: Coroutine[Any, Any, T]) -> T | None:
    """Run one phase; if it runs out of time, say so and return None (the caller goes on)."""
    started = time.monotonic()
    try:
        return await within(seconds, work, name)
    except PhaseRanOut:
        print(f"\n{name}: RAN OUT after {time.monotonic() - started:.0f} s (bound {seconds:.0f} s)")
        return None


async def wait_ready(base: str, seconds: float = READY_SECONDS) -> None:
    """Wait for GET /readyz to answer 200, for at most `seconds`."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=5) as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise PhaseRanOut(f"{base} was not ready within {seconds:.0f} s")
