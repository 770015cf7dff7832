"""Idempotency-Key on the creating routes, on SQLite and PostgreSQL: a repeat answers the
first answer and stores nothing; another body, or a repeat while the first runs, is a 409;
keys are per user and per route, kept a day, and hold no plaintext."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from confidant.diary import service as diary_service
from confidant.diary.models import DiaryEntry
from confidant.idempotency import service
from confidant.idempotency.models import IdempotencyRecord
from confidant.kit.db import utcnow
from confidant.ledger.models import LedgerLeaf, LedgerOutbox
from confidant.ledger.verify import verify_log
from confidant.runtime import Runtime
from confidant.sensors.models import SensorSample
from confidant.tracking.models import HabitCheckIn, MindfulnessSession, MoodEntry
from confidant.wellbeing.models import AssessmentResponse
from tests.helpers import Account, assert_error, jobs_settled, register, rows_of

SECRET = "Idempotent-marmalade-quokka"
ENTRY = {"date": "2026-11-02", "text": f"I told nobody about {SECRET}."}


def new_key() -> str:
    return str(uuid.uuid4())


def keyed(account: Account, key: str) -> dict[str, str]:
    return {**account.headers, "Idempotency-Key": key}


async def keys_of(runtime: Runtime, account: Account) -> int:
    return await rows_of(runtime.db, IdempotencyRecord, account.user_id)


def shift_clock(monkeypatch: pytest.MonkeyPatch, by: timedelta) -> None:
    real: Callable[[], datetime] = utcnow
    monkeypatch.setattr(service, "utcnow", lambda: real() + by)


async def test_the_same_key_twice_stores_once_and_answers_the_same(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    key = new_key()
    first = await client.post("/api/diary", json=ENTRY, headers=keyed(me, key))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    # The same object written differently is the same request.
    again = json.dumps(ENTRY, indent=2, sort_keys=True)
    repeat = await client.post(
        "/api/diary",
        content=again,
        headers={**keyed(me, key), "Content-Type": "application/json"},
    )
    assert repeat.status_code == 201, repeat.text
    assert repeat.json() == first.json()
    assert repeat.headers["idempotent-replayed"] == "true"
    assert await rows_of(runtime.db, DiaryEntry, me.user_id) == 1
    assert await keys_of(runtime, me) == 1


async def test_no_plaintext_and_no_body_at_rest(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    response = await client.post("/api/diary", json=ENTRY, headers=keyed(me, new_key()))
    assert response.status_code == 201
    async with runtime.db.transaction() as session:
        record = await session.scalar(
            select(IdempotencyRecord).where(IdempotencyRecord.user_id == me.user_id)
        )
    assert record is not None
    assert record.status_code == 201
    assert record.claim is None
    assert record.response_ct is not None
    stored = b" ".join(
        str(value).encode() if not isinstance(value, bytes) else value
        for value in (
            record.scope,
            record.key_digest,
            record.request_digest,
            record.response_ct,
        )
    )
    assert SECRET.encode() not in stored
    assert response.json()["id"].encode() not in stored
    body = json.dumps(ENTRY).encode()
    assert record.request_digest not in {
        hashlib.sha256(body).hexdigest(),
        hashlib.sha256(service.canonical_body(body)).hexdigest(),
    }
    # Sealed for this row with the owner's key: it opens only there.
    key = await runtime.keystore.user_key(me.user_id)
    opened = key.decrypt(
        record.response_ct, table=service.TABLE, column="response", row_id=record.id
    )
    assert json.loads(opened) == response.json()


async def test_another_body_with_the_same_key_is_refused_and_stores_nothing(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    key = new_key()
    assert (await client.post("/api/diary", json=ENTRY, headers=keyed(me, key))).status_code == 201
    other = {**ENTRY, "text": "Something else entirely."}
    assert_error(
        await client.post("/api/diary", json=other, headers=keyed(me, key)),
        409,
        "idempotency_key_reused",
    )
    assert await rows_of(runtime.db, DiaryEntry, me.user_id) == 1
    # A key used on a failed request is free again.
    fresh = new_key()
    assert_error(
        await client.post(
            "/api/diary", json={**ENTRY, "date": "yesterday"}, headers=keyed(me, fresh)
        ),
        422,
    )
    response = await client.post("/api/diary", json=other, headers=keyed(me, fresh))
    assert response.status_code == 201, response.text
    assert await rows_of(runtime.db, DiaryEntry, me.user_id) == 2


async def test_a_failed_request_frees_its_key(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    key = new_key()
    missing = f"/api/habits/{uuid.uuid4()}/check-ins"
    assert_error(await client.post(missing, headers=keyed(me, key)), 404)
    assert await keys_of(runtime, me) == 0
    assert_error(await client.post(missing, headers=keyed(me, key)), 404)


async def test_a_repeat_while_the_first_still_runs_is_refused(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await register(client)
    key = new_key()
    entered, go_on = asyncio.Event(), asyncio.Event()
    create = diary_service.create

    async def slow_create(*args: Any, **kwargs: Any) -> Any:
        entered.set()
        await go_on.wait()
        return await create(*args, **kwargs)

    monkeypatch.setattr(diary_service, "create", slow_create)
    first = asyncio.create_task(client.post("/api/diary", json=ENTRY, headers=keyed(me, key)))
    await asyncio.wait_for(entered.wait(), timeout=30)
    assert_error(
        await client.post("/api/diary", json=ENTRY, headers=keyed(me, key)),
        409,
        "idempotency_in_progress",
    )
    go_on.set()
    answered = await asyncio.wait_for(first, timeout=30)
    assert answered.status_code == 201, answered.text
    repeat = await client.post("/api/diary", json=ENTRY, headers=keyed(me, key))
    assert (repeat.status_code, repeat.json()) == (201, answered.json())
    assert await rows_of(runtime.db, DiaryEntry, me.user_id) == 1


async def test_keys_belong_to_a_user_and_a_route(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    alice, bob = await register(client), await register(client)
    key = new_key()
    mine = await client.post("/api/diary", json=ENTRY, headers=keyed(alice, key))
    theirs = await client.post("/api/diary", json=ENTRY, headers=keyed(bob, key))
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert "idempotent-replayed" not in theirs.headers
    mood = await client.post("/api/mood", json={"score": 6}, headers=keyed(alice, key))
    assert mood.status_code == 201, mood.text
    assert await rows_of(runtime.db, DiaryEntry, alice.user_id) == 1
    assert await rows_of(runtime.db, DiaryEntry, bob.user_id) == 1
    assert await rows_of(runtime.db, MoodEntry, alice.user_id) == 1
    assert await keys_of(runtime, alice) == 2


@pytest.mark.parametrize(
    "key",
    ["", "x" * 256, "has space", "caf\u00e9", "tab\there"],
    ids=["empty", "too-long", "space", "not-ascii", "control"],
)
async def test_malformed_keys_are_refused(client: httpx.AsyncClient, key: str) -> None:
    me = await register(client)
    headers = {name.encode(): value.encode() for name, value in me.headers.items()}
    headers[b"Idempotency-Key"] = key.encode("latin-1")
    response = await client.post("/api/diary", json=ENTRY, headers=headers)
    error = assert_error(response, 422, "validation_error")
    assert any("Idempotency-Key" in str(detail["field"]) for detail in error["details"])


async def test_without_a_key_nothing_changes(client: httpx.AsyncClient, runtime: Runtime) -> None:
    me = await register(client)
    for _ in range(2):
        response = await client.post("/api/diary", json=ENTRY, headers=me.headers)
        assert response.status_code == 201
    assert await rows_of(runtime.db, DiaryEntry, me.user_id) == 2
    assert await keys_of(runtime, me) == 0
    assert (
        await client.post("/api/diary", json=ENTRY, headers=keyed(me, "x" * 255))
    ).status_code == 201


async def test_every_creating_route_takes_a_key(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    habit = await client.post("/api/habits", json={"name": "Walk"}, headers=me.headers)
    assert habit.status_code == 201, habit.text
    at = (utcnow() - timedelta(minutes=5)).isoformat()
    routes: list[tuple[str, dict[str, Any] | None, Any, int]] = [
        ("/api/mood", {"score": 4}, MoodEntry, 1),
        ("/api/habits", {"name": "Read"}, None, 0),
        (f"/api/habits/{habit.json()['id']}/check-ins", None, HabitCheckIn, 1),
        ("/api/mindfulness/sessions", {"title": "Breath", "durationMin": 5}, MindfulnessSession, 1),
        (
            "/api/sensors",
            {"samples": [{"id": "s-1", "type": "steps", "value": 40, "at": at}]},
            SensorSample,
            1,
        ),
        ("/api/assessments/who-5/responses", {"answers": [3, 3, 3, 3, 3]}, AssessmentResponse, 1),
    ]
    for path, body, model, rows in routes:
        key = new_key()
        first = await client.post(path, json=body, headers=keyed(me, key))
        assert first.status_code in (200, 201), (path, first.text)
        repeat = await client.post(path, json=body, headers=keyed(me, key))
        assert (repeat.status_code, repeat.json()) == (first.status_code, first.json()), path
        assert repeat.headers["idempotent-replayed"] == "true"
        if model is not None:
            assert await rows_of(runtime.db, model, me.user_id) == rows, path
    habits = await client.get("/api/habits", headers=me.headers)
    assert len(habits.json()) == 2


async def test_a_replayed_check_in_keeps_its_first_status(
    client: httpx.AsyncClient,
) -> None:
    me = await register(client)
    habit = await client.post("/api/habits", json={"name": "Stretch"}, headers=me.headers)
    path = f"/api/habits/{habit.json()['id']}/check-ins"
    key = new_key()
    assert (await client.post(path, headers=keyed(me, key))).status_code == 201
    assert (await client.post(path, headers=keyed(me, key))).status_code == 201
    # Another key is another request: already checked in today, nothing changed.
    other = new_key()
    assert (await client.post(path, headers=keyed(me, other))).status_code == 200
    replayed = await client.post(path, headers=keyed(me, other))
    assert replayed.status_code == 200
    assert replayed.headers["idempotent-replayed"] == "true"


async def test_keys_expire_after_a_day(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await register(client)
    key = new_key()
    first = await client.post("/api/diary", json=ENTRY, headers=keyed(me, key))
    assert first.status_code == 201
    shift_clock(monkeypatch, timedelta(hours=23, minutes=59))
    kept = await client.post("/api/diary", json=ENTRY, headers=keyed(me, key))
    assert kept.json() == first.json()
    shift_clock(monkeypatch, timedelta(hours=24, seconds=1))
    again = await client.post("/api/diary", json=ENTRY, headers=keyed(me, key))
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]
    assert "idempotent-replayed" not in again.headers
    assert await rows_of(runtime.db, DiaryEntry, me.user_id) == 2
    assert await keys_of(runtime, me) == 1  # the expired one went when the key came back

    # The purge loop's sweep: everything past its time goes.
    shift_clock(monkeypatch, timedelta(hours=49))
    async with runtime.db.transaction() as session:
        assert await service.purge_expired(session) >= 1
    assert await keys_of(runtime, me) == 0


async def test_an_abandoned_claim_is_taken_over_and_fenced(
    client: httpx.AsyncClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = await register(client)
    attempt = service.attempt(runtime, me.user_id, "POST /api/x", "k", "POST", "/api/x", b"{}")
    stale = await service.begin(runtime, attempt)
    assert isinstance(stale, service.Claim)
    with pytest.raises(service.InProgress):
        await service.begin(runtime, attempt)
    shift_clock(
        monkeypatch, timedelta(seconds=runtime.settings.idempotency_in_progress_seconds + 1)
    )
    taken = await service.begin(runtime, attempt)
    assert isinstance(taken, service.Claim)
    assert taken.record_id == stale.record_id
    answer = service.Answer(201, b'{"ok":true}')
    with pytest.raises(service.InProgress):  # the first request's answer no longer counts
        async with runtime.db.transaction() as session:
            await service.complete(runtime, session, me.user_id, stale, answer)
    async with runtime.db.transaction() as session:
        await service.complete(runtime, session, me.user_id, taken, answer)
    assert await service.begin(runtime, attempt) == answer


async def test_keys_go_with_the_account_and_the_ledger_stays_whole(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    me = await register(client)
    key = new_key()
    for body in (ENTRY, ENTRY, {**ENTRY, "text": "another"}):
        await client.post("/api/diary", json=body, headers=keyed(me, key))
    await client.post("/api/mood", json={"score": 5, "note": SECRET}, headers=keyed(me, key))
    assert await keys_of(runtime, me) == 2
    await jobs_settled(runtime.db)
    await runtime.sequencer.drain()
    async with runtime.db.engine.connect() as connection:
        leaves = [bytes(d) for d in await connection.scalars(select(LedgerLeaf.data))]
        leaves += [bytes(d) for d in await connection.scalars(select(LedgerOutbox.data))]
    blob = b"\n".join(leaves)
    assert blob.count(b'"table":"idempotency_keys"') >= 2
    assert SECRET.encode() not in blob
    assert key.encode() not in blob
    assert (await client.delete("/api/users/me", headers=me.headers)).status_code == 204
    async with runtime.db.transaction() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == me.user_id)
        )
    assert left == 0
    await jobs_settled(runtime.db)
    await runtime.sequencer.drain()  # the jobs' last row writes wait in the outbox till then
    report = await verify_log(
        runtime.db, runtime.ledger.signer.verifier_key, pseudonyms=runtime.ledger.pseudonyms
    )
    assert report.ok, report.problems[:10]


async def test_the_document_says_which_routes_take_a_key(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    keyed = {
        path
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        and method == "post"
    }
    assert keyed == {
        "/api/diary",
        "/api/mood",
        "/api/habits",
        "/api/habits/{habit_id}/check-ins",
        "/api/mindfulness/sessions",
        "/api/sensors",
        "/api/assessments/{assessment_id}/responses",
    }
    diary = document["paths"]["/api/diary"]["post"]
    (header,) = [p for p in diary["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header"
    assert header["required"] is False
    assert "idempotency_key_reused" in diary["responses"]["409"]["description"]
    assert "422" in diary["responses"]
