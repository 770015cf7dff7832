"""One call for many concurrent ones: items that arrive while a batch is running wait
and go together in the next, so a lone caller waits for nothing extra and sixteen
callers share two model calls instead of sixteen threads fighting over the cores."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class Coalescer(Generic[Item, Result]):
    """Runs `work` (blocking, one result per item, in order) in a thread, one batch at a
    time, on at most `max_batch` items."""

    def __init__(self, work: Callable[[list[Item]], Iterable[Result]], max_batch: int = 64) -> None:
        self.work = work
        self.max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._running: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop: what waited on the old one is gone
            self._loop, self._waiting, self._running = loop, [], None
        future: asyncio.Future[Result] = loop.create_future()
        self._waiting.append((item, future))
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = (
                self._waiting[: self.max_batch],
                self._waiting[self.max_batch :],
            )
            batch = [(item, future) for item, future in batch if not future.cancelled()]
            if not batch:
                continue
            try:
                results = await asyncio.to_thread(self.work, [item for item, _ in batch])
            except Exception as error:  # every caller of the batch gets the failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
