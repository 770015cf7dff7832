"""Jobs as the rest of the service sees them: submit, watch, cancel, and the worker's
side (run with heartbeats, and fail the ones whose worker died)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.jobs.dispatch import Sender, dispatch_after_commit
from confidant.jobs.models import CANCELLED, FAILED, FINISHED, QUEUED, RUNNING, SUCCEEDED, Job
from confidant.kit.db import Database, new_id, utcnow
from confidant.kit.errors import Conflict
from confidant.kit.repository import owned, scoped

log = logging.getLogger("confidant.jobs")

WORKER_LOST = "the worker stopped responding (killed or lost); start the job again"


@dataclass
class Progress:
    """What a running job reports; written to its row with the next heartbeat."""

    done: int = 0
    total: int | None = None

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total


Handler = Callable[[Any, dict[str, Any], str | None, Progress], Coroutine[Any, Any, None]]
HANDLERS: dict[str, Handler] = {}


# Runs when a job of a kind has succeeded, as part of that job (still cancellable).
AfterHook = Callable[[Any, dict[str, Any], str | None], Coroutine[Any, Any, None]]
AFTER_HOOKS: dict[str, list[AfterHook]] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def after(kind: str) -> Callable[[AfterHook], AfterHook]:
    """Call the decorated function (runtime, params, user id) after each job of `kind`
    succeeds: how one domain follows another's work without the other knowing it."""

    def register(function: AfterHook) -> AfterHook:
        AFTER_HOOKS.setdefault(kind, []).append(function)
        return function

    return register


def submit(
    session: AsyncSession, kind: str, user_id: str | None, params: dict[str, Any] | None = None
) -> Job:
    """A queued job, sent to the workers once (and only if) this transaction commits."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job(
        id=new_id(),
        kind=kind,
        user_id=user_id,
        params=params or {},
        state=QUEUED,
        progress=0,
        attempts=0,
        cancel_requested=False,
        created_at=utcnow(),
    )
    session.add(job)
    dispatch_after_commit(session, job.id)
    return job


async def own_job(session: AsyncSession, user: User, job_id: str) -> Job:
    return await owned(session, Job, user.id, job_id, missing="No such job")


async def own_jobs(session: AsyncSession, user: User, limit: int) -> list[Job]:
    query = scoped(Job, user.id).order_by(Job.created_at.desc())
    return list(await session.scalars(query.limit(limit)))


async def cancel(session: AsyncSession, user: User, job_id: str) -> Job:
    job = await own_job(session, user, job_id)
    if job.state in FINISHED:
        raise Conflict(f"The job has already {job.state}")
    request_cancel(job)
    return job


def request_cancel(job: Job) -> None:
    """A queued job is cancelled at once; a running one at its worker's next heartbeat."""
    if job.state == QUEUED:
        job.state, job.finished_at = CANCELLED, utcnow()
    else:
        job.cancel_requested = True


# --- the worker's side -------------------------------------------------------------------


async def run(runtime: Any, db: Database, job_id: str, heartbeat_seconds: float) -> None:
    """Run a queued job to the end, heartbeating; anything else (cancelled, already
    taken, failed by the reaper) is left as it is."""
    async with db.transaction() as session:
        claimed = await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == QUEUED)
            .values(
                state=RUNNING, started_at=utcnow(), heartbeat_at=utcnow(), attempts=Job.attempts + 1
            )
        )
        job = await session.get(Job, job_id) if claimed.rowcount == 1 else None  # type: ignore[attr-defined]
    if job is None:
        return
    progress = Progress()
    work = asyncio.create_task(_perform(runtime, job, progress))
    state, detail = await _watch(db, job_id, work, progress, heartbeat_seconds)
    await _finish(db, job_id, state, detail, progress)


async def _perform(runtime: Any, job: Job, progress: Progress) -> None:
    """The job's handler, then what others registered to follow it."""
    params = dict(job.params)
    await HANDLERS[job.kind](runtime, params, job.user_id, progress)
    for follow_up in AFTER_HOOKS.get(job.kind, ()):
        await follow_up(runtime, params, job.user_id)


async def _watch(
    db: Database, job_id: str, work: asyncio.Task[None], progress: Progress, every: float
) -> tuple[str, str | None]:
    while True:
        done, _ = await asyncio.wait({work}, timeout=every)
        if done:
            error = work.exception()
            if error is None:
                return SUCCEEDED, None
            log.error("job %s failed", job_id, exc_info=error)
            return FAILED, f"{type(error).__name__}: {error}"[:500]
        if await _heartbeat(db, job_id, progress):
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            return CANCELLED, None


async def _heartbeat(db: Database, job_id: str, progress: Progress) -> bool:
    """Record liveness and progress; True when the job is to be cancelled."""
    async with db.transaction() as session:
        cancel_requested = await session.scalar(
            update(Job)
            .where(Job.id == job_id)
            .values(heartbeat_at=utcnow(), progress=progress.done, total=progress.total)
            .returning(Job.cancel_requested)
        )
    return bool(cancel_requested)


async def _finish(
    db: Database, job_id: str, state: str, detail: str | None, progress: Progress
) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == RUNNING)
            .values(
                state=state,
                detail=detail,
                progress=progress.done,
                total=progress.total,
                finished_at=utcnow(),
                heartbeat_at=utcnow(),
            )
        )


async def resend_waiting(db: Database, send: Sender, older_than_seconds: float) -> int:
    """Send again jobs queued (or last sent) this long ago and still not taken: their
    message was lost (a broker down at commit, a flushed Redis) or waits behind others.
    Harmless either way, since a job runs only from the queued state."""
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    last_sent = func.coalesce(Job.heartbeat_at, Job.created_at)  # queued: when last sent
    async with db.transaction() as session:
        job_ids = list(
            await session.scalars(
                update(Job)
                .where(Job.state == QUEUED, last_sent < cutoff)
                .values(heartbeat_at=utcnow())
                .returning(Job.id)
            )
        )
    for job_id in job_ids:
        send(job_id)
    return len(job_ids)


async def fail_abandoned(db: Database, timeout_seconds: float) -> int:
    """Jobs whose worker has not been heard from for `timeout_seconds` are failed."""
    cutoff = utcnow() - timedelta(seconds=timeout_seconds)
    async with db.transaction() as session:
        result = await session.execute(
            update(Job)
            .where(Job.state == RUNNING, Job.heartbeat_at < cutoff)
            .values(state=FAILED, detail=WORKER_LOST, finished_at=utcnow())
        )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- what the queue looks like (metrics) --------------------------------------------------


@dataclass(frozen=True)
class KindLoad:
    """The jobs of one kind that are queued, running or failed, and when the oldest of
    those queued was submitted."""

    kind: str
    queued: int = 0
    running: int = 0
    failed: int = 0
    oldest_queued_at: datetime | None = None


async def load_by_kind(db: Database) -> list[KindLoad]:
    """Every registered kind (zeros included) and any other kind the table holds, from
    one grouped query on the state index."""
    return await db.read(_load_by_kind)


def _load_by_kind(connection: Connection) -> list[KindLoad]:
    rows = connection.execute(
        select(Job.kind, Job.state, func.count(), func.min(Job.created_at))
        .where(Job.state.in_((QUEUED, RUNNING, FAILED)))
        .group_by(Job.kind, Job.state)
    )
    counts: dict[str, dict[str, int]] = {kind: {} for kind in HANDLERS}
    oldest: dict[str, datetime] = {}
    for kind, state, count, first_created in rows:
        counts.setdefault(kind, {})[state] = int(count)
        if state == QUEUED:
            oldest[kind] = first_created
    return [
        KindLoad(kind, by.get(QUEUED, 0), by.get(RUNNING, 0), by.get(FAILED, 0), oldest.get(kind))
        for kind, by in sorted(counts.items())
    ]
