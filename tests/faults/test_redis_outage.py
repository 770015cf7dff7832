"""Redis stopped under load: sign-in fails closed (503 `rate_limiter_unavailable`, never
unlimited), everything else keeps working (diary, moods, chat, reads), and the jobs
queued meanwhile run once Redis is back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from confidant.jobs.models import QUEUED, RUNNING, SUCCEEDED, Job
from confidant.kit.db import Database
from tests.faults.conftest import PrivatePostgres, PrivateRedis, Served, private_settings, serving
from tests.faults.ledger import assert_ledger_verifies
from tests.faults.load import Load, assert_answered_cleanly
from tests.helpers import assert_error, register, start_worker

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

WORKERS = 4
OUTAGE_SECONDS = 3.0
RECOVERY_LIMIT_SECONDS = 10.0
PIN = "482916"
# The server sends again a job not taken after 5 heartbeat timeouts: 20 s here. (Less,
# and a job loading its models on a busy machine misses its heartbeats.)
HEARTBEAT = {"jobs_heartbeat_seconds": 0.3, "jobs_heartbeat_timeout_seconds": 4.0}


@pytest.fixture
async def served_with_worker(
    tmp_path: Path,
    private_postgres: PrivatePostgres,
    private_redis: PrivateRedis,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Served]:
    for name, value in {
        "CONFIDANT_LOGIN_RATE_PER_IP": "100000",  # sign-ins are part of the load here
        "CONFIDANT_LOGIN_RATE_PER_ACCOUNT": "100000",
        "CONFIDANT_JOBS_HEARTBEAT_TIMEOUT_SECONDS": str(
            HEARTBEAT["jobs_heartbeat_timeout_seconds"]
        ),
        "CONFIDANT_LLM_MAX_NEW_TOKENS": "8",
    }.items():
        monkeypatch.setenv(name, value)
    settings = private_settings(
        tmp_path, private_postgres, private_redis, "redis_outage", **HEARTBEAT
    )
    async for served in serving(settings, tmp_path / "server.log"):
        worker = start_worker(settings, tmp_path / "worker.log")
        try:
            yield served
        finally:
            worker.kill()  # its jobs are judged by now; a warm shutdown may wait on one
            worker.wait(timeout=30)


async def test_sign_in_fails_closed_while_redis_is_down_and_the_rest_keeps_working(
    served_with_worker: Served, private_redis: PrivateRedis
) -> None:
    served = served_with_worker
    await served.wait_model_loaded()
    db = Database(served.settings.resolved_database_url)
    try:
        await outage_under_load(served, private_redis, db)
    finally:
        await db.dispose()


async def outage_under_load(served: Served, private_redis: PrivateRedis, db: Database) -> None:
    async with httpx.AsyncClient(base_url=served.url, timeout=30) as http:
        account = await register(http)
        first = {"date": "2026-08-01", "text": "before the outage", "mood": 5}
        assert (await http.post("/api/diary", headers=account.headers, json=first)).is_success
        # The worker's first job loads its models, which may take longer than this
        # test's short heartbeat timeout on a busy machine: it only warms the worker.
        warm_up = await settled_jobs(db)
        set_pin = await http.put("/api/auth/pin", headers=account.headers, json={"pin": PIN})
        assert set_pin.status_code == 204, set_pin.text
        chat = (await http.post("/api/chats", headers=account.headers, json={})).json()
        load = Load(served.url, account)
        running = asyncio.create_task(load.run(WORKERS))
        try:
            await load.until(lambda: len(load.diary_ids) >= 10, what="writes before the outage")
            await asyncio.to_thread(private_redis.stop)
            down = time.monotonic()
            pin_login = {"userId": account.user_id, "pin": PIN}
            assert_error(
                await http.post("/api/auth/pin-login", json=pin_login),
                503,
                "rate_limiter_unavailable",
            )
            turn = await http.post(
                "/api/messages",
                headers=account.headers,
                json={"chatId": chat["id"], "content": "Redis is down, are you there?"},
            )
            assert turn.status_code == 200, turn.text
            await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down)))
            written_in_outage = len(load.diary_ids)
            # Redis answers again a little before `start` returns and this coroutine runs
            # on: a sign-in answered in that gap may rightly succeed.
            restarting = time.monotonic()
            await asyncio.to_thread(private_redis.start)
            up = time.monotonic()
            await load.until(
                lambda: load.first_success("sign_in", up) is not None,
                limit=RECOVERY_LIMIT_SECONDS,
                what="sign-in to recover",
            )
            recovered = load.first_success("sign_in", up) or up
            pinned = await http.post("/api/auth/pin-login", json=pin_login)
            assert pinned.status_code == 200, pinned.text
        finally:
            load.stop()
            await running

    assert_answered_cleanly(load.answers, served.log_tail())
    during = load.between(down, up)
    sign_ins = [a for a in during if a.action == "sign_in" and a.started + a.elapsed < restarting]
    assert sign_ins, "no sign-in was tried while Redis was down"
    assert {(a.status, a.code) for a in sign_ins} == {(503, "rate_limiter_unavailable")}
    others = [a for a in during if a.action != "sign_in"]
    assert others, "nothing else was tried while Redis was down"
    assert all(200 <= a.status < 300 for a in others), load.summary(down, up)
    assert written_in_outage > 10, "no diary write went through during the outage"

    settled_from = time.monotonic()
    jobs = await settled_jobs(db, limit=60)
    settled = time.monotonic() - settled_from
    ran = {job_id: state for job_id, state in jobs.items() if job_id not in warm_up}
    assert len(ran) >= len(load.diary_ids) - 1, "not every diary write queued its indexing"
    assert set(ran.values()) == {SUCCEEDED}, ran  # those queued in the outage ran too
    print(
        f"\nRedis outage: {len(during)} requests, {len(sign_ins)} sign-ins refused 503, "
        f"slowest other {max(a.elapsed for a in others):.3f} s; sign-in back "
        f"{recovered - up:.2f} s after Redis; jobs settled {settled:.1f} s after the load"
    )
    served.stop()
    await assert_ledger_verifies(served.settings, served.log, rows_at_least=len(load.diary_ids))


async def settled_jobs(db: Database, limit: float = 120) -> dict[str, str]:
    """Once no job is queued or running: every job's state, by id."""
    deadline = time.monotonic() + limit
    while True:
        async with db.transaction() as session:
            rows = (await session.execute(select(Job.id, Job.state))).all()
        states = {job_id: state for job_id, state in rows}
        if not set(states.values()) & {QUEUED, RUNNING}:
            return states
        assert time.monotonic() < deadline, f"jobs still waiting: {states}"
        await asyncio.sleep(0.2)
