"""kit/repository on the real database: a statement scoped to the caller never reaches
another user's rows, and `owned` answers anyone else's id exactly like a missing one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from confidant.jobs.models import SUCCEEDED, Job
from confidant.kit.db import new_id
from confidant.kit.errors import NotFound
from confidant.kit.repository import keyset_page, owned, scoped
from confidant.runtime import Runtime
from confidant.tracking.models import Habit
from tests.helpers import register

START = datetime(2025, 1, 1, tzinfo=UTC)


async def add_habits(runtime: Runtime, user_id: str, count: int) -> list[str]:
    """`count` habits of the user, created a minute apart (the last is the newest)."""
    habits = [
        Habit(
            id=new_id(),
            user_id=user_id,
            name_ct=b"sealed",
            target_per_week=1,
            created_at=START + timedelta(minutes=n),
        )
        for n in range(count)
    ]
    async with runtime.db.transaction() as session:
        session.add_all(habits)
    return [h.id for h in habits]


async def add_system_job(runtime: Runtime) -> str:
    """A finished job that belongs to no user (user_id is NULL); finished, so that the
    session's workers and `jobs_settled` in later tests leave it alone."""
    job = Job(
        id=new_id(),
        kind="rag.reindex",
        user_id=None,
        params={},
        state=SUCCEEDED,
        progress=0,
        attempts=0,
        cancel_requested=False,
        created_at=START,
        finished_at=START,
    )
    async with runtime.db.transaction() as session:
        session.add(job)
    return job.id


async def test_owned_returns_the_callers_row(client: httpx.AsyncClient, runtime: Runtime) -> None:
    owner = await register(client)
    (habit_id,) = await add_habits(runtime, owner.user_id, 1)
    async with runtime.db.transaction() as session:
        habit = await owned(session, Habit, owner.user_id, habit_id)
    assert (habit.id, habit.user_id) == (habit_id, owner.user_id)


async def test_owned_answers_another_users_id_like_a_missing_one(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, intruder = await register(client), await register(client)
    (habit_id,) = await add_habits(runtime, owner.user_id, 1)
    async with runtime.db.transaction() as session:
        for wanted in (habit_id, new_id()):
            with pytest.raises(NotFound) as refused:
                await owned(session, Habit, intruder.user_id, wanted, missing="Habit not found")
            assert (refused.value.status_code, refused.value.message) == (404, "Habit not found")


async def test_scoped_never_returns_another_users_rows(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    first, second = await register(client), await register(client)
    firsts = await add_habits(runtime, first.user_id, 3)
    seconds = await add_habits(runtime, second.user_id, 2)
    system_job = await add_system_job(runtime)
    async with runtime.db.transaction() as session:
        assert {h.id for h in await session.scalars(scoped(Habit, first.user_id))} == set(firsts)
        assert {h.id for h in await session.scalars(scoped(Habit, second.user_id))} == set(seconds)
        jobs = list(await session.scalars(scoped(Job, first.user_id)))
        assert system_job not in {job.id for job in jobs}
        assert all(job.user_id == first.user_id for job in jobs)


async def test_keyset_page_walks_only_the_callers_rows_newest_first(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    owner, other = await register(client), await register(client)
    mine = await add_habits(runtime, owner.user_id, 3)
    await add_habits(runtime, other.user_id, 3)  # the same moments, interleaved
    seen: list[str] = []
    cursor: str | None = None
    async with runtime.db.transaction() as session:
        for _ in range(3):
            page = await keyset_page(
                session,
                scoped(Habit, owner.user_id),
                lambda habit: habit.id,
                newest_first_by=Habit.created_at,
                kind=datetime,
                cursor=cursor,
                limit=2,
            )
            seen += page.items
            cursor = page.next_cursor
            if cursor is None:
                break
    assert seen == list(reversed(mine))
