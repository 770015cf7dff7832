"""The Celery app: Redis as broker in deployments, kombu's SQLAlchemy transport on a
file in DATA_DIR by default. Job state lives in the database (`jobs`), not in Celery.

One task, `confidant.run_job(job_id)`, runs any job kind through `jobs.service.run`
on a runtime the worker process starts once, with the factory its entry point gives."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_database

from confidant.config import DATABASE_BROKER, Settings
from confidant.jobs import service
from confidant.kit.db import Database
from confidant.kit.imports import restore_default_recursion_limit

RUN_JOB = "confidant.run_job"
QUEUE = "confidant"


class DatabaseTransport(kombu_database.Transport):
    """kombu's SQLAlchemy transport, polling every 0.1 s instead of every second (which
    would be most of a diary entry's time to searchable)."""

    polling_interval = 0.1


TRANSPORT_ALIASES[DATABASE_BROKER] = f"{__name__}:DatabaseTransport"


class JobRuntime(Protocol):
    """What running a job needs of the runtime: its database (handlers take the rest)."""

    db: Database


RuntimeFactory = Callable[[Settings], Awaitable[JobRuntime]]


def make_celery(settings: Settings, start_runtime: RuntimeFactory | None = None) -> Celery:
    """The Celery app; with `start_runtime` (a worker's), it also runs the jobs it takes."""
    app = Celery("confidant", broker=settings.jobs_broker_url, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        task_acks_late=True,  # a job's message outlives a worker killed mid-job
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    if start_runtime is not None:
        app.task(name=RUN_JOB)(_WorkerProcess(settings, start_runtime).run_job)
    return app


class _WorkerProcess:
    """A runtime and an event loop, started on the first job a worker process takes."""

    def __init__(self, settings: Settings, start_runtime: RuntimeFactory) -> None:
        self.settings = settings
        self.start_runtime = start_runtime
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runtime: JobRuntime | None = None

    def run_job(self, job_id: str) -> None:
        if self.loop is None or self.runtime is None:
            self.loop = asyncio.new_event_loop()
            self.runtime = self.loop.run_until_complete(self.start_runtime(self.settings))
            restore_default_recursion_limit()  # what the job code imported may raise it
        self.loop.run_until_complete(
            service.run(self.runtime, self.runtime.db, job_id, self.settings.jobs_heartbeat_seconds)
        )


def sender(app: Celery) -> Any:
    def send(job_id: str) -> None:
        app.send_task(RUN_JOB, args=[job_id], queue=QUEUE)

    return send
