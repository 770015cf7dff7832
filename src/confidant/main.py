"""The application factory: routers, middleware, error handlers and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from confidant import __version__
from confidant.analytics.router import router as analytics_router
from confidant.app import health, http_errors, web
from confidant.app.metrics import Metrics
from confidant.app.middleware import (
    BodyLimitMiddleware,
    JsonDepthMiddleware,
    RequestContextMiddleware,
)
from confidant.auth import service as auth_service
from confidant.auth.router import router as auth_router
from confidant.calls import vad as call_vad
from confidant.calls.router import router as calls_router
from confidant.chats.router import router as chats_router
from confidant.chats.ws import router as chats_ws_router
from confidant.config import Settings, get_settings
from confidant.diary.router import router as diary_router
from confidant.export.router import router as export_router
from confidant.finetune.router import router as finetune_router
from confidant.idempotency import service as idempotency_service
from confidant.insights.router import router as insights_router
from confidant.jobs import service as jobs_service
from confidant.jobs.router import router as jobs_router
from confidant.jobs.worker import start_embedded_worker, stop_embedded_worker
from confidant.kit.imports import restore_default_recursion_limit
from confidant.ledger.middleware import LedgerMiddleware
from confidant.ledger.router import router as ledger_router
from confidant.llm.router import router as models_router
from confidant.news.router import router as news_router
from confidant.openai_api.router import router as openai_router
from confidant.rag.router import router as rag_router
from confidant.runtime import Runtime
from confidant.sensors.router import router as sensors_router
from confidant.tracking.router import router as tracking_router
from confidant.users import service as users_service
from confidant.users.router import router as users_router
from confidant.voice import service as voice_service
from confidant.voice.router import router as voice_router
from confidant.wellbeing.router import router as wellbeing_router

log = logging.getLogger("confidant")

MULTIPART_OVERHEAD = 64 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await Runtime.start(settings)
        app.state.metrics.watch(runtime)  # before the model loads: it reports from its first reply
        runtime.models.start()
        preload = asyncio.create_task(runtime.rag.preload())
        voices = asyncio.create_task(runtime.voice.preload())
        screen = asyncio.create_task(asyncio.to_thread(runtime.crisis.preload))
        vad = asyncio.create_task(asyncio.to_thread(call_vad.preload, settings.call_vad))
        app.state.runtime = runtime
        purger = asyncio.create_task(_purge_expired_forever(runtime))
        sequencer = asyncio.create_task(
            runtime.sequencer.run(settings.ledger_sequence_interval_seconds)
        )
        reaper = asyncio.create_task(_look_after_jobs_forever(runtime))
        sampler = asyncio.create_task(app.state.metrics.sample_forever())
        worker = start_embedded_worker() if settings.jobs_worker == "embedded" else None
        try:
            yield
        finally:
            if worker is not None:
                stop_embedded_worker(worker)
            for task in (purger, preload, voices, screen, vad, sequencer, reaper, sampler):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await _sequence_what_is_left(runtime)
            await runtime.close()
            app.state.metrics.close()

    app = FastAPI(
        title="Confidant",
        version=__version__,
        description="A private AI wellbeing companion you host yourself.",
        lifespan=lifespan,
    )
    app.state.metrics = Metrics()
    http_errors.install(app)
    # Routers are matched in order: the busiest first.
    app.include_router(users_router)
    app.include_router(chats_router)
    app.include_router(chats_ws_router)
    app.include_router(diary_router)
    app.include_router(rag_router)
    app.include_router(openai_router)
    app.include_router(auth_router)
    app.include_router(ledger_router)
    app.include_router(finetune_router)
    app.include_router(jobs_router)
    app.include_router(models_router)
    app.include_router(voice_router)
    app.include_router(calls_router)
    app.include_router(wellbeing_router)
    app.include_router(tracking_router)
    app.include_router(sensors_router)
    app.include_router(analytics_router)
    app.include_router(insights_router)
    app.include_router(export_router)
    app.include_router(news_router)
    app.include_router(health.router)
    web.install(app, settings.web_dist_dir)  # what no route takes: the web client at /
    avatar_limit = settings.avatar_max_bytes + MULTIPART_OVERHEAD
    app.add_middleware(JsonDepthMiddleware)  # inside the body limit, which bounds its buffer
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_body_bytes,
        path_limits={
            "/api/users/me/avatar": avatar_limit,
            "/api/diary/import": settings.diary_import_max_bytes + MULTIPART_OVERHEAD,
            "/api/messages/voice": settings.voice_max_upload_bytes + MULTIPART_OVERHEAD,
        },
    )
    app.add_middleware(LedgerMiddleware)
    app.add_middleware(web.SecurityHeaders)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    restore_default_recursion_limit()
    return app


async def _sequence_what_is_left(runtime: Runtime) -> None:
    """On a clean shutdown the API calls still in memory go into the log."""
    try:
        await runtime.sequencer.drain()
    except Exception:
        log.exception("could not sequence the last ledger leaves at shutdown")


async def _look_after_jobs_forever(runtime: Runtime) -> None:
    """Fail jobs whose worker died; send again the ones that waited too long."""
    timeout = runtime.settings.jobs_heartbeat_timeout_seconds
    while True:
        try:
            failed = await jobs_service.fail_abandoned(runtime.db, timeout)
            if failed:
                log.warning("failed %d jobs whose worker stopped responding", failed)
            await jobs_service.resend_waiting(runtime.db, runtime.send_job, timeout * 5)
        except Exception:
            log.exception("checking for abandoned jobs failed; will retry")
        await asyncio.sleep(timeout / 2)


async def _purge_expired_forever(runtime: Runtime) -> None:
    """Guest accounts, voice clips and idempotency keys past their time, and data keys no
    account came to own."""
    while True:
        try:
            async with runtime.db.transaction() as session:
                purged = await auth_service.purge_expired(runtime, session)
                clips = await voice_service.purge_expired(runtime, session)
                await users_service.sweep_avatars(runtime, session)
                orphans = await auth_service.sweep_orphan_keys(runtime, session)
                keys = await idempotency_service.purge_expired(session)
            if purged or clips or orphans or keys:
                log.info(
                    "purged %d expired guest accounts, %d voice clips, %d orphaned keys, "
                    "%d idempotency keys",
                    purged,
                    clips,
                    orphans,
                    keys,
                )
        except Exception:
            log.exception("purging expired guests and clips failed; will retry")
        await asyncio.sleep(runtime.settings.guest_purge_interval_seconds)
