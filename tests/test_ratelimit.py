"""Sign-in rate limits and lockouts, in process and on Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from confidant.kit.ratelimit import Limiter, MemoryLimiter, RedisLimiter
from tests.conftest import client_for, make_settings, started_app, upgrade_schema
from tests.helpers import PASSWORD, assert_error, register, unique_email


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    if request.param == "memory":
        yield MemoryLimiter()
        return
    backend = RedisLimiter(request.getfixturevalue("redis_url"))
    yield backend
    await backend.close()


async def test_fixed_window_limit(limiter: Limiter) -> None:
    key = uuid.uuid4().hex
    assert [await limiter.hit(key, 3, 60) for _ in range(3)] == [0, 0, 0]
    wait = await limiter.hit(key, 3, 60)
    assert 0 < wait <= 60
    assert await limiter.hit(uuid.uuid4().hex, 3, 60) == 0  # other keys unaffected


async def test_failures_lock_and_success_clears(limiter: Limiter) -> None:
    key = uuid.uuid4().hex
    assert [await limiter.add_failure(key, 3, 900) for _ in range(2)] == [0, 0]
    await limiter.clear_failures(key)
    assert [await limiter.add_failure(key, 3, 900) for _ in range(2)] == [0, 0]
    assert await limiter.locked_for(key) == 0
    assert await limiter.add_failure(key, 3, 900) == 900
    assert 890 < await limiter.locked_for(key) <= 900


async def limited_app(data_dir: Path, **overrides: object) -> AsyncIterator[FastAPI]:
    settings = make_settings(data_dir, login_rate_per_ip=3, login_rate_per_account=100, **overrides)
    await upgrade_schema(settings)
    async for app in started_app(settings):
        yield app


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_login_is_limited_per_ip_with_retry_after(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    overrides = {"redis_url": request.getfixturevalue("redis_url")} if backend == "redis" else {}
    async for app in limited_app(tmp_path, **overrides):
        async with client_for(app, ip="192.0.2.10") as http:
            account = await register(http)
            for _ in range(3):
                ok = await http.post(
                    "/api/auth/login", json={"email": account.email, "password": PASSWORD}
                )
                assert ok.status_code == 200
            limited = await http.post(
                "/api/auth/login", json={"email": account.email, "password": PASSWORD}
            )
            assert_error(limited, 429, "too_many_requests")
            assert int(limited.headers["Retry-After"]) >= 1
        async with client_for(app, ip="192.0.2.11") as other:
            response = await other.post(
                "/api/auth/login", json={"email": unique_email(), "password": PASSWORD}
            )
            assert response.status_code == 401  # a different IP is not limited


async def test_login_is_limited_per_account_across_ips(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, login_rate_per_ip=100, login_rate_per_account=2)
    await upgrade_schema(settings)
    async for app in started_app(settings):
        async with client_for(app) as http:
            account = await register(http)
        statuses = []
        for attempt in range(3):
            async with client_for(app, ip=f"198.51.100.{attempt}") as http:
                response = await http.post(
                    "/api/auth/login", json={"email": account.email, "password": "wrong password"}
                )
                statuses.append(response.status_code)
        assert statuses == [401, 401, 429]


async def test_pin_lockout_is_shared_through_redis(tmp_path: Path, redis_url: str) -> None:
    """Two service instances on one Redis: failures at one lock the PIN at the other."""
    settings = make_settings(tmp_path, redis_url=redis_url)
    await upgrade_schema(settings)
    async for first in started_app(settings):
        async for second in started_app(settings):
            async with client_for(first) as a, client_for(second) as b:
                account = await register(a)
                await a.put("/api/auth/pin", json={"pin": "2468"}, headers=account.headers)
                for index in range(5):
                    http = a if index % 2 else b
                    await http.post(
                        "/api/auth/pin-login", json={"userId": account.user_id, "pin": "0000"}
                    )
                locked = await a.post(
                    "/api/auth/pin-login", json={"userId": account.user_id, "pin": "2468"}
                )
                assert_error(locked, 429)


async def test_register_is_throttled_per_ip(tmp_path: Path) -> None:
    async for app in limited_app(tmp_path):
        async with client_for(app, ip="203.0.113.5") as http:
            statuses = [
                (
                    await http.post(
                        "/api/auth/register",
                        json={"email": unique_email(), "password": PASSWORD, "name": "N"},
                    )
                ).status_code
                for _ in range(4)
            ]
        assert statuses == [201, 201, 201, 429]
