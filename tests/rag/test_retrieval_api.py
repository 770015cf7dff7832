"""Indexing and retrieval through the API: incremental indexing, hybrid search with dates,
grounded replies with sources, isolation, and no plaintext in the vector store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import numpy as np
import pytest
from numpy.typing import NDArray
from sqlalchemy import func, select

from confidant.auth.models import User
from confidant.config import Settings
from confidant.diary import service as diary_service
from confidant.diary.schemas import EntryCreate
from confidant.jobs import service as jobs_service
from confidant.jobs.dispatch import DISPATCH_INFO_KEY
from confidant.jobs.models import Job
from confidant.rag import service as rag_service
from confidant.rag.models import Chunk
from confidant.rag.vector_store import Hit, LanceVectorStore
from confidant.runtime import Runtime
from tests.conftest import with_worker
from tests.helpers import Account, assert_error, jobs_settled, register

ENTRIES = [
    ("2025-03-03", "Slept terribly, maybe four hours. Kept waking up worrying about the exam."),
    (
        "2025-03-05",
        "Lunch with Priya at the Vietnamese place near the office. She is moving to Lisbon.",
    ),
    (
        "2025-03-10",
        "Ran ten kilometres along the canal. My knees ached afterwards but I felt proud.",
    ),
    ("2025-04-02", "The statistics exam finally happened. I think it went well."),
    ("2025-04-20", "Grandma's birthday. We baked a lemon drizzle cake together."),
]


async def diary_of(client: httpx.AsyncClient, runtime: Runtime) -> Account:
    account = await register(client)
    for day, text in ENTRIES:
        response = await client.post(
            "/api/diary", json={"date": day, "text": text}, headers=account.headers
        )
        assert response.status_code == 201
    await jobs_settled(runtime.db)
    return account


async def search(client: httpx.AsyncClient, account: Account, query: str, **params: str) -> dict:
    response = await client.get(
        "/api/search", params={"q": query, **params}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_search_by_meaning_and_by_exact_words(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await diary_of(client, runtime)
    by_meaning = await search(client, account, "when did I have trouble sleeping?")
    assert by_meaning["results"][0]["date"] == "2025-03-03"
    by_name = await search(client, account, "Priya")
    top = by_name["results"][0]
    assert top["date"] == "2025-03-05"
    assert top["sourceType"] == "diary"
    start, end = top["highlights"][0]
    assert top["snippet"][start:end] == "Priya"


async def test_dates_from_phrases_and_parameters_filter_results(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await diary_of(client, runtime)
    in_april = await search(client, account, "how was the exam in April 2025")
    assert (in_april["since"], in_april["until"]) == ("2025-04-01", "2025-04-30")
    assert {r["date"] for r in in_april["results"]} <= {"2025-04-02", "2025-04-20"}
    assert in_april["results"][0]["date"] == "2025-04-02"
    ranged = await search(client, account, "exam", **{"from": "2025-03-01", "to": "2025-03-31"})
    assert ranged["results"][0]["date"] == "2025-03-03"
    assert {r["date"][:7] for r in ranged["results"]} == {"2025-03"}
    bad = await client.get(
        "/api/search",
        params={"q": "x", "from": "2025-05-01", "to": "2025-01-01"},
        headers=account.headers,
    )
    assert_error(bad, 422)
    assert_error(await client.get("/api/search", headers=account.headers), 422)


async def test_nobody_elses_entries_are_ever_retrieved(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await diary_of(client, runtime)
    stranger = await register(client)
    assert (await search(client, stranger, "Priya Lisbon exam sleep"))["results"] == []


async def chunk_ids(runtime: Runtime, entry_id: str) -> set[str]:
    async with runtime.db.transaction() as session:
        return set(await session.scalars(select(Chunk.id).where(Chunk.source_id == entry_id)))


async def stored_vectors(runtime: Runtime, user_id: str, vector: NDArray[np.float32]) -> list[Hit]:
    """What the store on disk holds (the worker wrote it; this process's copies may lag)."""
    store = LanceVectorStore(runtime.settings.data_dir / "vectors", len(vector))
    try:
        return await store.search(user_id, vector, 50)
    finally:
        await store.close()


async def test_indexing_is_incremental(client: httpx.AsyncClient, runtime: Runtime) -> None:
    account = await diary_of(client, runtime)
    entries = (await client.get("/api/diary?limit=10", headers=account.headers)).json()["items"]
    edited, untouched = entries[0], entries[1]
    before_untouched = await chunk_ids(runtime, untouched["id"])
    before_edited = await chunk_ids(runtime, edited["id"])
    await client.patch(
        f"/api/diary/{edited['id']}",
        json={"text": "Went sailing with Bartholomew."},
        headers=account.headers,
    )
    await jobs_settled(runtime.db)
    assert await chunk_ids(runtime, untouched["id"]) == before_untouched
    assert (await chunk_ids(runtime, edited["id"])).isdisjoint(before_edited)
    assert (await search(client, account, "Bartholomew"))["results"][0]["entryId"] == edited["id"]

    await client.delete(f"/api/diary/{untouched['id']}", headers=account.headers)
    await jobs_settled(runtime.db)
    assert await chunk_ids(runtime, untouched["id"]) == set()
    vector = runtime.rag.embedder.encode([untouched["text"]])[0]
    hits = {h.chunk_id for h in await stored_vectors(runtime, account.user_id, vector)}
    assert hits.isdisjoint(before_untouched)


async def test_deleting_the_account_removes_every_vector(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await diary_of(client, runtime)
    vector = runtime.rag.embedder.encode(["exam"])[0]
    assert await stored_vectors(runtime, account.user_id, vector)
    await client.delete("/api/users/me", headers=account.headers)
    await jobs_settled(runtime.db)
    assert await stored_vectors(runtime, account.user_id, vector) == []
    async with runtime.db.transaction() as session:
        left = await session.scalar(select(func.count()).where(Chunk.user_id == account.user_id))
    assert left == 0


async def test_vector_store_files_hold_no_diary_words(
    client: httpx.AsyncClient, runtime: Runtime, settings: Settings
) -> None:
    account = await register(client)
    await client.post(
        "/api/diary",
        json={"date": "2025-05-05", "text": "Quetzalcoatlus sandwiches at Zyxwvut harbour."},
        headers=account.headers,
    )
    await jobs_settled(runtime.db)
    files = [p for p in Path(settings.data_dir / "vectors").rglob("*") if p.is_file()]
    assert files, "the embedded store writes files"
    stored = b"".join(p.read_bytes() for p in files)
    for word in [b"Quetzalcoatlus", b"quetzalcoatlus", b"sandwiches", b"Zyxwvut", b"harbour"]:
        assert word not in stored


async def test_chat_replies_are_grounded_with_sources(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await diary_of(client, runtime)
    chat = (await client.post("/api/chats", json={}, headers=account.headers)).json()
    turn = await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "How did I sleep before my exam?"},
        headers=account.headers,
    )
    sources = turn.json()["reply"]["sources"]
    assert sources[0]["date"] == "2025-03-03"
    history = await client.get(f"/api/chats/{chat['id']}/messages", headers=account.headers)
    assert history.json()["items"][0]["sources"] == sources  # stored with the reply

    streamed = await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "What did Priya tell me?"},
        headers={**account.headers, "Accept": "text/event-stream"},
    )
    final = json.loads(streamed.text.strip().split("\n\n")[-1].split("data: ", 1)[1])
    assert any(s["date"] == "2025-03-05" for s in final["sources"])

    answered = await client.post(
        "/api/rag/query", json={"question": "Where is Priya moving?"}, headers=account.headers
    )
    assert answered.status_code == 200
    assert "2025-03-05" in {s["date"] for s in answered.json()["sources"]}
    queried = await client.post(
        "/api/v1/query",
        json={"query": "How far did I run along the canal?"},
        headers=account.headers,
    )
    assert "2025-03-10" in {s["date"] for s in queried.json()["sources"]}
    assert_error(
        await client.post("/api/rag/query", json={"question": ""}, headers=account.headers), 422
    )


async def test_chat_messages_are_remembered_unless_turned_off(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    account = await register(client)
    chat = (await client.post("/api/chats", json={}, headers=account.headers)).json()
    await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "My cat Mephistopheles knocked over the plant."},
        headers=account.headers,
    )
    await jobs_settled(runtime.db)
    found = await search(client, account, "Mephistopheles")
    assert found["results"][0]["sourceType"] == "message"

    await client.patch(
        "/api/users/me", json={"preferences": {"rememberChats": False}}, headers=account.headers
    )
    await client.post(
        "/api/messages",
        json={"chatId": chat["id"], "content": "Barnabus the hamster escaped."},
        headers=account.headers,
    )
    await jobs_settled(runtime.db)
    # Turning it off also forgets what was already remembered.
    assert (await search(client, account, "Mephistopheles Barnabus"))["results"] == []


@pytest.mark.parametrize("limit", ["0", "51", "x"])
async def test_bad_search_limits_are_422(client: httpx.AsyncClient, limit: str) -> None:
    account = await register(client)
    assert_error(
        await client.get("/api/search", params={"q": "x", "limit": limit}, headers=account.headers),
        422,
    )


@pytest.mark.slow
async def test_another_process_sees_new_entries_at_once(tmp_path: Path) -> None:
    """Two service processes on one database and store: in-memory copies follow changes."""
    from tests.conftest import client_for, make_settings, started_app, upgrade_schema

    settings = make_settings(tmp_path)
    await upgrade_schema(settings)
    async for _ in with_worker(settings):
        async for writer in started_app(settings):
            async for reader in started_app(settings):
                async with client_for(writer) as a, client_for(reader) as b:
                    account = await register(a)
                    await a.post(
                        "/api/diary",
                        json={"date": "2025-01-01", "text": "Plain day."},
                        headers=account.headers,
                    )
                    await jobs_settled(writer.state.runtime.db)
                    assert (await search(b, account, "plain"))["results"]  # reader caches now
                    await a.post(
                        "/api/diary",
                        json={"date": "2025-01-02", "text": "Saw a Xylophagous beetle."},
                        headers=account.headers,
                    )
                    await jobs_settled(writer.state.runtime.db)
                    found = await search(b, account, "Xylophagous")
                    assert found["results"][0]["date"] == "2025-01-02"


async def test_in_memory_copies_extended_in_place_match_a_fresh_load(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    from confidant.crypto.keystore import user_key_owner
    from confidant.rag import keyword
    from confidant.rag.models import IndexState

    account = await register(client)
    await rag_service.warm(runtime, account.user_id)
    # This test is the worker for these entries' jobs, so that their chunks extend the
    # copies cached in this process.
    async with runtime.db.transaction() as session:
        session.info.pop(DISPATCH_INFO_KEY)
        user = await session.get(User, account.user_id)
        assert user is not None
        for day, text in ENTRIES:
            await diary_service.create(
                runtime, session, user, EntryCreate(date=date.fromisoformat(day), text=text)
            )
    async with runtime.db.transaction() as session:
        job_ids = list(await session.scalars(select(Job.id).where(Job.user_id == user.id)))
    for job_id in job_ids:
        await jobs_service.run(runtime, runtime.db, job_id, heartbeat_seconds=5)
    async with runtime.db.transaction() as session:
        assert (await session.get(Job, job_ids[0])).state == "succeeded"  # type: ignore[union-attr]
        state = await session.get(IndexState, account.user_id)
        assert state is not None
        cached = await runtime.rag.keywords.get(session, account.user_id, state.version)
        fresh = await keyword.UserKeywordIndex.load(session, account.user_id, state.version)
    hasher = keyword.TermHasher(await runtime.keystore.raw(user_key_owner(account.user_id)))

    def ranked(index: keyword.UserKeywordIndex, query: str) -> list[tuple[str, float]]:
        return sorted((c, round(s, 5)) for c, s in keyword.search(index, query, hasher, 10))

    for query in ["exam sleep", "Priya Lisbon", "canal run knees", "cake"]:
        assert ranked(cached, query) == ranked(fresh, query)
        assert ranked(cached, query)
    store = await runtime.rag.store()
    vector = runtime.rag.embedder.encode(["exam"])[0]
    in_memory = await store.search(account.user_id, vector, 10, version=state.version)
    assert len(in_memory) == len(ENTRIES)
