"""Registrations that lose a race leave no data key behind, and keys that no account
came to own are swept."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import func, select, update

from confidant.auth import service as auth_service
from confidant.crypto.keystore import WrappedKey, user_key_owner
from confidant.kit.db import new_id, utcnow
from confidant.runtime import Runtime
from tests.helpers import PASSWORD, register, unique_email


async def user_keys(runtime: Runtime) -> int:
    async with runtime.keystore.db.sessionmaker() as session:
        query = select(func.count()).where(WrappedKey.owner.startswith(user_key_owner("")))
        return int(await session.scalar(query) or 0)


async def test_a_lost_registration_race_leaves_no_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    before = await user_keys(runtime)
    body = {"email": unique_email("race"), "password": PASSWORD, "name": "Racer"}
    responses = await asyncio.gather(
        *(client.post("/api/auth/register", json=body) for _ in range(20))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [409] * 19, statuses
    assert await user_keys(runtime) == before + 1


async def backdate(runtime: Runtime, owner: str, age: timedelta) -> None:
    async with runtime.keystore.db.sessionmaker() as session, session.begin():
        await session.execute(
            update(WrappedKey).where(WrappedKey.owner == owner).values(created_at=utcnow() - age)
        )


async def test_keys_no_account_owns_are_swept_after_a_grace_time(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    old_orphan, new_orphan = user_key_owner(new_id()), user_key_owner(new_id())
    for owner in (old_orphan, new_orphan):
        await runtime.keystore.create(owner)
    await backdate(runtime, old_orphan, timedelta(hours=2))
    await backdate(runtime, user_key_owner(account.user_id), timedelta(hours=2))

    async with runtime.db.transaction() as session:
        swept = await auth_service.sweep_orphan_keys(runtime, session)
    assert swept >= 1
    async with runtime.keystore.db.sessionmaker() as session:
        owners = set(await session.scalars(select(WrappedKey.owner)))
    assert old_orphan not in owners
    assert new_orphan in owners  # may be a registration still under way
    assert user_key_owner(account.user_id) in owners
    me = await client.get("/api/users/me", headers=account.headers)
    assert me.status_code == 200
