"""An in-process job queue: one worker task working through jobs in order.

Services call `after_commit(session, job)`; the job is queued when (and only if) the
session's transaction commits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("confidant.jobs")

Job = Callable[[], Awaitable[None]]
QUEUE_INFO_KEY = "job_queue"
PENDING_INFO_KEY = "pending_jobs"


class JobQueue:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self.failures = 0

    def start(self) -> None:
        self._worker = asyncio.create_task(self._work(), name="confidant-jobs")

    def put(self, job: Job) -> None:
        self._queue.put_nowait(job)

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await job()
            except Exception:
                self.failures += 1
                log.exception("background job failed")
            finally:
                self._queue.task_done()

    async def join(self) -> None:
        """Wait until every queued job has run."""
        await self._queue.join()

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass


def after_commit(session: Session | AsyncSession, job: Job) -> None:
    session.info.setdefault(PENDING_INFO_KEY, []).append(job)


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    queue = session.info.get(QUEUE_INFO_KEY)
    pending = session.info.pop(PENDING_INFO_KEY, [])
    if queue is not None:
        for job in pending:
            queue.put(job)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(PENDING_INFO_KEY, None)
