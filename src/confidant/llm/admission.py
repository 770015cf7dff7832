"""A bounded queue in front of a model: at most N generations run and M wait; more is 503."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from confidant.llm.base import ModelBusy


class Admission:
    def __init__(self, max_running: int, max_waiting: int) -> None:
        self._slots = asyncio.Semaphore(max_running)
        self._max_waiting = max_waiting
        self._waiting = 0
        self._running = 0

    @property
    def running(self) -> int:
        """Generations holding a slot now."""
        return self._running

    @property
    def waiting(self) -> int:
        """Generations queued for a slot now."""
        return self._waiting

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots.locked() and self._waiting >= self._max_waiting:
            raise ModelBusy("The model is busy; try again shortly", retry_after=5)
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1
            self._slots.release()
