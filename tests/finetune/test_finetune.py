"""Per-user fine-tuning with the tiny local model, trained on a real worker: the adapter
lowers held-out loss, changes only its owner's replies (also under concurrent requests),
is stored encrypted, can be cancelled, starts by itself, and goes with the account."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from confidant.auth.models import ROLE_ADMIN, User
from confidant.config import Settings
from confidant.finetune.models import FineTunedModel
from confidant.runtime import Runtime
from tests.chats.test_openai_facade import api_key
from tests.conftest import client_for, make_settings, started_app, upgrade_schema, with_worker
from tests.helpers import PASSWORD, Account, assert_error, jobs_settled, register

FAST = {"learningRate": 0.01, "epochs": 4, "rank": 8, "batchSize": 4}
PROMPT = [{"role": "user", "content": "How was my week?"}]


async def no_automatic_fine_tunes(http: httpx.AsyncClient, account: Account) -> None:
    response = await http.patch(
        "/api/users/me", headers=account.headers, json={"preferences": {"autoFineTune": False}}
    )
    assert response.status_code == 200, response.text


async def write_history(http: httpx.AsyncClient, account: Account, motif: str) -> None:
    """Diary entries full of one motif, imported at once (one indexing job)."""
    entries = [
        {"date": f"2026-03-{day:02d}", "text": f"{motif} again today, day {day}. " * 3}
        for day in range(1, 13)
    ]
    response = await http.post(
        "/api/diary/import",
        headers=account.headers,
        files={"file": ("diary.json", json.dumps({"entries": entries}), "application/json")},
    )
    assert response.status_code == 201, response.text


async def reply(app: FastAPI, http: httpx.AsyncClient, account: Account) -> str:
    """A greedy reply through the OpenAI-compatible endpoint (the official client)."""
    key = await api_key(http, account)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/v1") as raw:
        sdk = openai.AsyncOpenAI(api_key=key, base_url="http://testserver/v1", http_client=raw)
        completion = await sdk.chat.completions.create(
            model="confidant",
            messages=PROMPT,
            temperature=0,
            max_tokens=12,  # type: ignore[arg-type]
        )
    return str(completion.choices[0].message.content)


async def fine_tune(http: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await http.post(
        "/api/models/fine-tune",
        headers=account.headers,
        json={"hyperparameters": FAST, **body},
    )
    assert response.status_code == 202, response.text
    return dict(response.json())


async def wait_until(
    http: httpx.AsyncClient, account: Account, model_id: str, states: set[str], limit: float = 180
) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        status = (await http.get(f"/api/models/{model_id}/status", headers=account.headers)).json()
        if status["state"] in states:
            return dict(status)
        assert time.monotonic() < deadline, f"fine-tune stayed {status['state']}"
        await asyncio.sleep(0.2)


async def test_an_adapter_learns_its_owners_writing_and_serves_only_them(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    owner, other = await register(client), await register(client)
    await write_history(client, owner, "Walked Biscuit the beagle by the canal")
    await write_history(client, other, "Practised the cello scales slowly")
    await jobs_settled(runtime.db)
    owner_before, other_before = await reply(app, client, owner), await reply(app, client, other)

    started = await fine_tune(client, owner)
    assert (started["state"], started["trigger"]) == ("queued", "user")
    done = await wait_until(client, owner, started["id"], {"ready", "failed"})
    assert done["state"] == "ready", done
    assert done["evalLoss"] < done["evalLossBefore"]
    assert done["step"] == done["totalSteps"] > 0
    assert done["trainExamples"] >= 1
    assert done["evalExamples"] >= 1
    assert done["etaSeconds"] is None
    assert done["finishedAt"] is not None

    assert await reply(app, client, owner) != owner_before
    assert await reply(app, client, other) == other_before

    listed = (await client.get("/api/models", headers=owner.headers)).json()
    assert [m["kind"] for m in listed] == ["base", "adapter"]
    assert (listed[1]["id"], listed[1]["active"]) == (started["id"], True)
    assert [m["kind"] for m in (await client.get("/api/models", headers=other.headers)).json()] == [
        "base"
    ]
    assert_error(
        await client.get(f"/api/models/{started['id']}/status", headers=other.headers), 404
    )

    stored = list((settings.adapters_dir / owner.user_id).iterdir())
    assert len(stored) == 1
    assert b"lora" not in stored[0].read_bytes()  # PEFT's files say lora_A, lora_alpha: sealed
    assert stored[0].stat().st_mode & 0o777 == 0o600


@pytest.mark.slow
async def test_two_users_at_once_never_get_each_others_adapter(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    first, second, plain = await register(client), await register(client), await register(client)
    for account, motif in ((first, "Baked sourdough"), (second, "Climbed at the bouldering gym")):
        await write_history(client, account, motif)
    await write_history(client, plain, "Read a novel")
    await jobs_settled(runtime.db)
    for account in (first, second):
        started = await fine_tune(client, account)
        assert (await wait_until(client, account, started["id"], {"ready", "failed"}))[
            "state"
        ] == "ready"
    alone = {a.user_id: await reply(app, client, a) for a in (first, second, plain)}
    assert len(set(alone.values())) == 3, "each adapter (and none) answers differently"
    crowd = [first, second, plain] * 4
    together = await asyncio.gather(*(reply(app, client, a) for a in crowd))
    assert [alone[a.user_id] for a in crowd] == together
    model = runtime.models.get()
    assert model.adapters.switches > 3  # type: ignore[attr-defined]  # adapters took turns


@pytest.mark.slow
async def test_an_adapter_that_cannot_be_served_costs_no_one_a_reply(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    owner, other = await register(client), await register(client)
    await write_history(client, owner, "Repotted the basil on the balcony")
    await write_history(client, other, "Ran along the river before work")
    await jobs_settled(runtime.db)
    owner_before, other_before = await reply(app, client, owner), await reply(app, client, other)
    started = await fine_tune(client, owner)
    assert (await wait_until(client, owner, started["id"], {"ready", "failed"}))["state"] == "ready"
    for stored in (settings.adapters_dir / owner.user_id).iterdir():
        stored.write_bytes(b"\0" * 64)  # the disk garbled it: it no longer opens

    assert await reply(app, client, owner) == owner_before  # the base model answered
    assert await reply(app, client, other) == other_before
    chat = (await client.post("/api/chats", json={}, headers=owner.headers)).json()
    turn = await client.post(
        "/api/messages", json={"chatId": chat["id"], "content": "hi"}, headers=owner.headers
    )
    assert turn.status_code == 200, turn.text
    status = (await client.get(f"/api/models/{started['id']}/status", headers=owner.headers)).json()
    assert status["state"] == "failed"
    assert status["detail"].startswith("could not be served")


async def test_bad_requests_change_nothing(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account, stranger = await register(client), await register(client)
    for bad in (
        {"hyperparameters": {"rank": 0}},
        {"hyperparameters": {"learningRate": 1.0}},
        {"hyperparameters": {"epochs": 1000}},
        {"hyperparameters": {"warmup": 3}},
        {"baseModel": "gpt-17"},
        {"colour": "blue"},
    ):
        response = await client.post("/api/models/fine-tune", headers=account.headers, json=bad)
        assert_error(response, 422)
    assert_error(await client.post("/api/models/fine-tune", headers=account.headers, json={}), 409)
    assert_error(
        await client.post(
            "/api/models/fine-tune", headers=account.headers, json={"userId": stranger.user_id}
        ),
        403,
    )
    assert_error(await client.post("/api/models/fine-tune", json={}), 401)
    assert_error(await client.get("/api/models/nope/status", headers=account.headers), 404)
    assert_error(await client.post("/api/models/nope/cancel", headers=account.headers), 404)
    async with runtime.db.transaction() as session:
        made = await session.scalar(
            select(func.count()).where(FineTunedModel.owner_id == account.user_id)
        )
    assert made == 0


async def test_one_fine_tune_at_a_time_and_one_a_day_except_for_admins(
    app: FastAPI, client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account, admin = await register(client), await register(client)
    await write_history(client, account, "Painted the fence")
    await jobs_settled(runtime.db)
    started = await fine_tune(client, account)
    assert_error(await client.post("/api/models/fine-tune", headers=account.headers, json={}), 409)
    await wait_until(client, account, started["id"], {"ready", "failed"})
    again = await client.post("/api/models/fine-tune", headers=account.headers, json={})
    assert_error(again, 429)
    assert 0 < int(again.headers["Retry-After"]) <= 24 * 3600

    async with runtime.db.transaction() as session:
        await session.execute(update(User).where(User.id == admin.user_id).values(role=ROLE_ADMIN))
    login = await client.post("/api/auth/login", json={"email": admin.email, "password": PASSWORD})
    admin_headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    for_user = await client.post(
        "/api/models/fine-tune",
        headers=admin_headers,
        json={"userId": account.user_id, "hyperparameters": FAST},
    )
    assert for_user.status_code == 202, for_user.text
    assert (for_user.json()["ownerId"], for_user.json()["trigger"]) == (account.user_id, "admin")
    assert_error(
        await client.post(
            "/api/models/fine-tune", headers=admin_headers, json={"userId": "nobody"}
        ),
        404,
    )
    await wait_until(client, account, for_user.json()["id"], {"ready", "failed"})


@pytest.fixture
async def fast_worker(tmp_path: Path) -> AsyncIterator[tuple[Settings, FastAPI]]:
    """A deployment of its own, whose worker heartbeats (so notices cancels) quickly and
    fine-tunes by itself after a little new text."""
    settings = make_settings(
        tmp_path / "data",
        jobs_heartbeat_seconds=0.2,
        finetune_auto_min_chars=600,
    )
    await upgrade_schema(settings)
    env = {
        "CONFIDANT_JOBS_HEARTBEAT_SECONDS": "0.2",
        "CONFIDANT_FINETUNE_AUTO_MIN_CHARS": "600",
    }
    async for ready in with_worker(settings, env):
        async for app in started_app(ready):
            yield ready, app


@pytest.mark.slow
async def test_a_running_fine_tune_can_be_cancelled(fast_worker: tuple[Settings, FastAPI]) -> None:
    settings, app = fast_worker
    async with client_for(app) as http:
        account = await register(http)
        await no_automatic_fine_tunes(http, account)
        await write_history(http, account, "Long walk in the hills")
        await jobs_settled(app.state.runtime.db)
        slow = {"learningRate": 0.001, "epochs": 10, "batchSize": 1, "maxLength": 2048}
        started = await fine_tune(http, account, hyperparameters=slow)
        await wait_until(http, account, started["id"], {"training"})
        cancelled = await http.post(f"/api/models/{started['id']}/cancel", headers=account.headers)
        assert cancelled.status_code == 200
        ended = await wait_until(http, account, started["id"], {"cancelled", "ready", "failed"})
        assert ended["state"] == "cancelled", ended
        assert ended["step"] < ended["totalSteps"]
        assert_error(
            await http.post(f"/api/models/{started['id']}/cancel", headers=account.headers), 409
        )
        await jobs_settled(app.state.runtime.db)
    assert not (settings.adapters_dir / account.user_id).exists()


@pytest.mark.slow
async def test_enough_new_writing_starts_a_fine_tune_unless_turned_off(
    fast_worker: tuple[Settings, FastAPI],
) -> None:
    settings, app = fast_worker
    async with client_for(app) as http:
        keen, private = await register(http), await register(http)
        await no_automatic_fine_tunes(http, private)
        for account in (keen, private):
            await write_history(http, account, "Swam forty lengths before work")
        await jobs_settled(app.state.runtime.db)
        models = {
            a.user_id: [
                m
                for m in (await http.get("/api/models", headers=a.headers)).json()
                if m["kind"] == "adapter"
            ]
            for a in (keen, private)
        }
        assert models[private.user_id] == []
        (automatic,) = models[keen.user_id]
        status = await wait_until(http, keen, automatic["id"], {"ready", "failed"})
        assert (status["state"], status["trigger"]) == ("ready", "automatic")

        # The account goes, and its adapters with it.
        assert (settings.adapters_dir / keen.user_id).exists()
        await http.delete("/api/users/me", headers=keen.headers)
        await jobs_settled(app.state.runtime.db)
    assert not (settings.adapters_dir / keen.user_id).exists()
    async with app.state.runtime.db.transaction() as session:
        left = await session.scalar(
            select(func.count()).where(FineTunedModel.owner_id == keen.user_id)
        )
    assert left == 0
