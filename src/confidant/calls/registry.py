"""The calls this process holds, and how many it may: each is a WebRTC peer with its own
speech work, so a process takes a bounded number."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from confidant.calls.telemetry import CallObservers
from confidant.kit.errors import DomainError, NotFound

if TYPE_CHECKING:
    from confidant.calls.session import Call

BUSY_RETRY_SECONDS = 30


class TooManyCalls(DomainError):
    status_code = 503
    code = "too_many_calls"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"This server is already holding {limit} calls; try again shortly",
            headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
        )


class CallRegistry:
    def __init__(self, max_active: int) -> None:
        self.max_active = max_active
        self.observers = CallObservers()
        self._calls: dict[str, Call] = {}
        self._reserved = 0  # calls being negotiated

    @property
    def active(self) -> int:
        return len(self._calls)

    def reserve(self) -> None:
        if len(self._calls) + self._reserved >= self.max_active:
            raise TooManyCalls(self.max_active)
        self._reserved += 1

    def release(self) -> None:
        self._reserved -= 1

    def add(self, call: Call) -> None:
        self._calls[call.id] = call
        self.observers.call_started()

    def discard(self, call: Call) -> None:
        if self._calls.pop(call.id, None) is not None:
            self.observers.call_ended()

    def owned(self, user_id: str, call_id: str) -> Call:
        call = self._calls.get(call_id)
        if call is None or call.user.id != user_id:
            raise NotFound("Call not found")
        return call

    async def close_all(self) -> None:
        await asyncio.gather(*(call.close("server") for call in list(self._calls.values())))
