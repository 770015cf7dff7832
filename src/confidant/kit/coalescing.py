"""One call for many concurrent ones: items that arrive while a batch is running wait
and go together in the next, so a lone caller waits for nothing extra and sixteen
callers share two model calls instead of sixteen threads fighting over the cores."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class _Queue(Generic[Item, Result]):
    """One event loop's callers: what waits, and the task that drains it."""

    def __init__(self) -> None:
        self.waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self.running: asyncio.Task[None] | None = None


class Coalescer(Generic[Item, Result]):
    """Runs `work` (blocking, one result per item, in order) in a thread, one batch at a
    time per event loop, on at most `max_batch` items. Each event loop batches its own
    callers (a runtime can be shared by a server's loop and another in a thread)."""

    def __init__(self, work: Callable[[list[Item]], Iterable[Result]], max_batch: int = 64) -> None:
        self.work = work
        self.max_batch = max_batch
        self._queues: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Queue[Item, Result]]
        self._queues = weakref.WeakKeyDictionary()

    async def __call__(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        queue = self._queues.setdefault(loop, _Queue())
        future: asyncio.Future[Result] = loop.create_future()
        queue.waiting.append((item, future))
        if queue.running is None or queue.running.done():
            queue.running = asyncio.create_task(self._drain(queue))
        return await future

    async def _drain(self, queue: _Queue[Item, Result]) -> None:
        while queue.waiting:
            batch = queue.waiting[: self.max_batch]
            del queue.waiting[: self.max_batch]
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
