"""The read cache behind GET /api/users/me never serves data older than the last commit
made in this process, and bounds staleness from other processes by its time-to-live."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from confidant.kit.cache import UserReadCache
from tests.conftest import client_for, make_settings, started_app, upgrade_schema
from tests.helpers import assert_error, register


def test_a_read_that_raced_a_write_is_not_stored() -> None:
    cache: UserReadCache[str] = UserReadCache(ttl_seconds=60)
    generation = cache.generation("u1")
    cache.invalidate("u1")  # a write committed while the read was in flight
    cache.put("u1", "family", "stale", generation)
    assert cache.get("u1", "family") is None
    cache.put("u1", "family", "fresh", cache.generation("u1"))
    assert cache.get("u1", "family") == "fresh"
    cache.invalidate("u1")
    assert cache.get("u1", "family") is None


def test_entries_expire_and_ttl_zero_disables() -> None:
    cache: UserReadCache[str] = UserReadCache(ttl_seconds=0)
    cache.put("u1", "f", "value", cache.generation("u1"))
    assert cache.get("u1", "f") is None


async def test_writes_logout_and_deletion_show_at_once(client: httpx.AsyncClient) -> None:
    account = await register(client, name="Before")
    assert (await client.get("/api/users/me", headers=account.headers)).json()["profile"][
        "name"
    ] == "Before"
    await client.patch("/api/users/me", json={"name": "After"}, headers=account.headers)
    me = await client.get("/api/users/me", headers=account.headers)
    assert me.json()["profile"]["name"] == "After"
    await client.patch(
        "/api/users/me/medical-card", json={"bloodType": "A+"}, headers=account.headers
    )
    me = await client.get("/api/users/me", headers=account.headers)
    assert me.json()["medicalCard"]["bloodType"] == "A+"

    await client.post("/api/auth/logout", headers=account.headers)
    assert_error(await client.get("/api/users/me", headers=account.headers), 401)


async def test_other_processes_changes_show_within_the_ttl(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, read_cache_seconds=0.3)
    await upgrade_schema(settings)
    async for first in started_app(settings):
        async for second in started_app(settings):
            async with client_for(first) as a, client_for(second) as b:
                account = await register(a, name="Original")
                await a.get("/api/users/me", headers=account.headers)  # cached in `first`
                await b.patch("/api/users/me", json={"name": "Elsewhere"}, headers=account.headers)
                await asyncio.sleep(0.4)
                me = await a.get("/api/users/me", headers=account.headers)
                assert me.json()["profile"]["name"] == "Elsewhere"
