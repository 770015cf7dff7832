"""Jobs on real Celery workers (Redis as the broker), watched and cancelled through
the API; a worker SIGKILLed mid-job leaves no job running for ever."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi import FastAPI

from confidant.config import Settings
from confidant.jobs.service import WORKER_LOST
from tests.conftest import client_for, make_settings, started_app, upgrade_schema
from tests.helpers import (
    Account,
    assert_error,
    free_port,
    jobs_settled,
    register,
    serve,
    start_worker,
    stop_worker,
    wait_ready,
)

# A worker is judged lost after 10 s unheard: on a loaded machine a heartbeat, a write on
# SQLite, can wait seconds for the write lock behind the job's own writes (with 2 s, CI
# once failed a live indexing job as lost before any worker was killed).
HEARTBEAT = {"jobs_heartbeat_seconds": 0.5, "jobs_heartbeat_timeout_seconds": 10.0}


@pytest.fixture
async def deployment(tmp_path: Path, redis_url: str) -> AsyncIterator[tuple[Settings, FastAPI]]:
    settings = make_settings(tmp_path / "data", redis_url=redis_url, **HEARTBEAT)
    await upgrade_schema(settings)
    async for app in started_app(settings):
        yield settings, app


@pytest.fixture
def worker(
    deployment: tuple[Settings, FastAPI], tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    process = start_worker(deployment[0], tmp_path / "worker.log")
    yield process
    stop_worker(process)


async def wait_for(
    http: httpx.AsyncClient, account: Account, job_id: str, states: set[str], limit: float = 120
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        job = (await http.get(f"/api/jobs/{job_id}", headers=account.headers)).json()
        if job["state"] in states:
            return dict(job)
        await asyncio.sleep(0.2)
    raise AssertionError(f"job stayed {job['state']}")


async def diary(http: httpx.AsyncClient, account: Account, entries: int) -> None:
    """Entries imported in one request (so one indexing job)."""
    document = {
        "entries": [
            {
                "date": f"2026-0{1 + day % 9}-{1 + day % 28:02d}",
                "text": f"Entry {day}: walked by the river, thought about work and sleep. " * 8,
            }
            for day in range(entries)
        ]
    }
    response = await http.post(
        "/api/diary/import",
        headers=account.headers,
        files={"file": ("diary.json", json.dumps(document), "application/json")},
    )
    assert response.status_code == 201, response.text


async def test_a_reindex_runs_on_a_real_worker(
    deployment: tuple[Settings, FastAPI], worker: subprocess.Popen[bytes]
) -> None:
    _, app = deployment
    async with client_for(app) as http:
        account = await register(http)
        await diary(http, account, 3)
        started = await http.post("/api/rag/reindex", headers=account.headers)
        assert started.status_code == 202
        assert started.json()["state"] == "queued"
        job = await wait_for(http, account, started.json()["id"], {"succeeded", "failed"})
        assert job["state"] == "succeeded", job
        assert (job["progress"], job["total"]) == (1, 1)
        listed = (await http.get("/api/jobs", headers=account.headers)).json()
        assert [(item["id"], item["kind"]) for item in listed][0] == (job["id"], "rag.reindex")
        assert [item["kind"] for item in listed[1:]] == ["rag.index"]  # the diary import
        assert_error(await http.post(f"/api/jobs/{job['id']}/cancel", headers=account.headers), 409)


async def test_jobs_are_private_and_unknown_ones_404(deployment: tuple[Settings, FastAPI]) -> None:
    _, app = deployment
    async with client_for(app) as http:
        owner, other = await register(http), await register(http)
        job = (await http.post("/api/rag/reindex", headers=owner.headers)).json()
        for path in (f"/api/jobs/{job['id']}", "/api/jobs/no-such-job"):
            assert_error(await http.get(path, headers=other.headers), 404)
        assert_error(await http.post(f"/api/jobs/{job['id']}/cancel", headers=other.headers), 404)
        assert (await http.get("/api/jobs", headers=other.headers)).json() == []
        assert_error(await http.get("/api/jobs"), 401)


@pytest.mark.slow
async def test_a_cancelled_queued_job_never_runs(
    deployment: tuple[Settings, FastAPI], tmp_path: Path
) -> None:
    settings, app = deployment
    async with client_for(app) as http:
        account = await register(http)
        job = (await http.post("/api/rag/reindex", headers=account.headers)).json()
        cancelled = await http.post(f"/api/jobs/{job['id']}/cancel", headers=account.headers)
        assert cancelled.json()["state"] == "cancelled"
        follow = (await http.post("/api/rag/reindex", headers=account.headers)).json()
        process = start_worker(settings, tmp_path / "worker.log")
        try:
            await wait_for(http, account, follow["id"], {"succeeded"})
        finally:
            stop_worker(process)
        again = (await http.get(f"/api/jobs/{job['id']}", headers=account.headers)).json()
        assert again["state"] == "cancelled"
        assert again["startedAt"] is None


@pytest.mark.slow
async def test_a_worker_killed_mid_job_leaves_no_job_running(
    deployment: tuple[Settings, FastAPI], tmp_path: Path
) -> None:
    settings, app = deployment
    async with client_for(app) as http:
        account = await register(http)
        await diary(http, account, 150)
        process = start_worker(settings, tmp_path / "worker.log")
        try:
            await jobs_settled(app.state.runtime.db)
            job = (await http.post("/api/rag/reindex", headers=account.headers)).json()
            await wait_for(http, account, job["id"], {"running", "succeeded"})
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)  # reaped, or a later test meets its ResourceWarning
        ended = await wait_for(http, account, job["id"], {"failed", "succeeded"}, limit=30)
    assert ended["state"] == "failed", "the job finished before the kill: give it more work"
    assert ended["detail"] == WORKER_LOST
    assert ended["finishedAt"] is not None


@pytest.mark.slow
async def test_the_embedded_default_runs_jobs_with_nothing_but_sqlite(tmp_path: Path) -> None:
    """`confidant serve` with no REDIS_URL starts its own worker on a SQLite broker."""
    settings = make_settings(tmp_path / "data", jobs_worker="embedded")
    await upgrade_schema(settings)
    port = free_port()
    server = serve(settings, port, tmp_path / "server.log")
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_ready(url, server)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            account = await register(http)
            await diary(http, account, 2)
            job = (await http.post("/api/rag/reindex", headers=account.headers)).json()
            done = await wait_for(http, account, job["id"], {"succeeded", "failed"})
        assert done["state"] == "succeeded", (tmp_path / "server.log").read_text()[-2000:]
        children = psutil.Process(server.pid).children()
        (worker,) = [child for child in children if "worker" in child.cmdline()]
        server.send_signal(signal.SIGKILL)  # the worker must not outlive its server
        server.wait(timeout=60)
        worker.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    assert (settings.data_dir / "jobs-broker.db").exists()
