"""Indexing (load → split → embed → store) and hybrid retrieval over a user's own data.

Indexing runs as background jobs, each in transactions of its own. Retrieval adds a
small share of the keyword (BM25) score to the dense (cosine) one: see `blend`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.auth.models import User
from confidant.crypto.envelope import DataKey
from confidant.crypto.keystore import KeyMissing, user_key_owner
from confidant.kit import dates
from confidant.kit.clock import today_for
from confidant.kit.db import new_id, utcnow
from confidant.rag import keyword
from confidant.rag.models import SOURCE_DIARY, Chunk, ChunkTerm, IndexState
from confidant.rag.sources import loader_for, source_types
from confidant.rag.splitter import ChunkDraft
from confidant.rag.vector_store import VectorRecord

if TYPE_CHECKING:
    from confidant.runtime import Runtime

RRF_K = 60
# How much of the best keyword match a chunk's keyword score is worth, in cosine
# similarity. Chosen on the dev diaries (bench/rag_eval.py): equal-weight rank fusion
# let any chunk that shared a common word with a paraphrased question push the one the
# embedding found out of the top 5 (dev recall@5 0.62 → 0.79 with this blend; 0.05, 0.15
# and 0.2 scored 0.76–0.79, 0.3 fell to 0.71).
KEYWORD_SHARE = 0.1
# Sources indexed per batch. Large on purpose: the embedder sorts a call's texts by
# length, and bigger calls pad less (measured: 600 chunks encode at 91/s in one call,
# 78/s in calls of 256, 52/s in calls of 64).
INDEX_BATCH = 2048
CANDIDATES = 50
SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Source:
    chunk_id: str
    source_type: str
    source_id: str
    day: date
    text: str
    score: float


# --- indexing --------------------------------------------------------------------------


async def delete_source_chunks(session: AsyncSession, user_id: str, source_ids: list[str]) -> int:
    """Delete the chunks of these sources; returns how many there were."""
    if not source_ids:
        return 0
    lengths = list(
        await session.scalars(
            delete(Chunk)
            .where(Chunk.user_id == user_id, Chunk.source_id.in_(source_ids))
            .returning(Chunk.length)
        )
    )
    if lengths:
        await _record_change(session, user_id, added=[], removed=lengths)
    return len(lengths)


async def _record_change(
    session: AsyncSession, user_id: str, added: list[int], removed: list[int]
) -> tuple[int, int]:
    """Bump the user's index version and keep the counts BM25 needs; returns the
    version before and after."""
    state = await session.get(IndexState, user_id, with_for_update=True)
    if state is None:
        state = IndexState(user_id=user_id, version=0, chunks=0, total_length=0)
        session.add(state)
    state.version += 1
    state.chunks += len(added) - len(removed)
    state.total_length += sum(added) - sum(removed)
    return state.version - 1, state.version


async def index_source(rt: Runtime, user_id: str, source_type: str, source_id: str) -> int:
    return await index_sources(rt, user_id, source_type, [source_id])


async def index_sources(rt: Runtime, user_id: str, source_type: str, source_ids: list[str]) -> int:
    """Replace the chunks of these sources (in one batch: one embedding call, one
    transaction, one store write); returns how many chunks they now have."""
    try:
        key_bytes = await rt.keystore.raw(user_key_owner(user_id))
    except KeyMissing:
        return 0  # the account is gone
    async with rt.db.transaction() as session:
        loaded = await loader_for(source_type).load(
            session, DataKey(key_bytes), user_id, source_ids
        )
    split = rt.rag.splitter.split
    drafts = await asyncio.to_thread(
        lambda: [draft for one in loaded for draft in split(one.source_id, one.day, one.text)]
    )
    vectors = await asyncio.to_thread(rt.rag.embedder.encode, [d.text for d in drafts])
    written = await _replace_chunks(rt, key_bytes, user_id, source_type, source_ids, drafts)
    store = await rt.rag.store()
    if written.replaced or len(loaded) < len(source_ids):  # old vectors, or sources now gone
        await store.delete_sources(user_id, source_ids)
    records = [
        VectorRecord(chunk.id, chunk.source_id, chunk.chunk_date, vector)
        for chunk, vector in zip(written.chunks, vectors, strict=True)
    ]
    await store.upsert(user_id, records)
    # New chunks only (a new entry, a new chat message): extend the in-memory copies.
    # Anything else (an edit, a removal): load them again. Either way, here and not in
    # the next request.
    appended = not written.replaced and written.versions is not None
    if appended and written.versions is not None:
        before, after = written.versions
        appended = rt.rag.keywords.append(user_id, before, after, written.chunks, written.postings)
        appended = appended and store.append(user_id, before, after, records)
    if not appended:
        await warm(rt, user_id)
    return len(written.chunks)


async def warm(rt: Runtime, user_id: str) -> None:
    """Load the user's new index into memory now, in the background job, so the next
    retrieval (a chat turn, say) does not pay for it."""
    async with rt.db.transaction() as session:
        state = await session.get(IndexState, user_id)
        if state is None:
            return
        await rt.rag.keywords.get(session, user_id, state.version)
    await (await rt.rag.store()).warm(user_id, state.version)


async def _replace_chunks(
    rt: Runtime,
    key_bytes: bytes,
    user_id: str,
    source_type: str,
    source_ids: list[str],
    drafts: list[ChunkDraft],
) -> WrittenChunks:
    key, hasher = DataKey(key_bytes), keyword.TermHasher(key_bytes)
    chunks: list[Chunk] = []
    postings: list[dict[str, object]] = []
    for draft in drafts:
        chunk = Chunk(
            id=new_id(),
            user_id=user_id,
            source_type=source_type,
            source_id=draft.source_id,
            chunk_date=draft.day,
            position=draft.position,
            created_at=utcnow(),
        )
        chunk.text_ct = key.encrypt(
            draft.text.encode(), table="rag_chunks", column="text", row_id=chunk.id
        )
        chunk.length, terms = keyword.postings(chunk.id, user_id, draft.text, hasher)
        chunks.append(chunk)
        postings += terms
    versions = None
    async with rt.db.transaction() as session:
        replaced = await delete_source_chunks(session, user_id, source_ids)
        # Core bulk inserts: the ORM's unit of work costs more than the embedding here.
        if chunks:
            await session.execute(insert(Chunk), [_columns(chunk) for chunk in chunks])
        if postings:
            await session.execute(insert(ChunkTerm), postings)
        if chunks:
            lengths = [chunk.length for chunk in chunks]
            versions = await _record_change(session, user_id, lengths, [])
    return WrittenChunks(chunks, postings, replaced, versions)


@dataclass(frozen=True)
class WrittenChunks:
    chunks: list[Chunk]
    postings: list[dict[str, object]]
    replaced: int
    versions: tuple[int, int] | None  # the index version before and after the insert


def _columns(chunk: Chunk) -> dict[str, object]:
    return {column.key: getattr(chunk, column.key) for column in Chunk.__table__.columns}


# --- retrieval ----------------------------------------------------------------------------


def dates_for(
    user: User, query: str, since: date | None = None, until: date | None = None
) -> tuple[date | None, date | None]:
    """Dates given explicitly, else those the query names ("last week"), else none."""
    if since is None and until is None and (named := dates.resolve(query, today_for(user))):
        return named.since, named.until
    return since, until


def blend(
    dense: list[tuple[str, float]], sparse: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """Cosine similarity plus KEYWORD_SHARE of the BM25 score relative to the best one.

    A chunk only the keyword search found is given the lowest cosine among the dense
    candidates: its own is lower still, or the dense search would have returned it."""
    floor = min((score for _, score in dense), default=0.0)
    best = max((score for _, score in sparse), default=0.0) or 1.0
    scores = dict(dense)
    for chunk_id, score in sparse:
        scores[chunk_id] = scores.get(chunk_id, floor) + KEYWORD_SHARE * score / best
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


def fuse(*rankings: list[str]) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of ranked id lists (the `rrf` mode)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


async def retrieve(
    rt: Runtime,
    user: User,
    query: str,
    limit: int,
    since: date | None = None,
    until: date | None = None,
    mode: str = "hybrid",
    query_vector: NDArray[np.float32] | None = None,
) -> list[Source]:
    """The user's chunks that best answer `query`, between `since` and `until`
    (`query_vector`: the query's embedding, when the caller already has it)."""
    try:
        key_bytes = await rt.keystore.raw(user_key_owner(user.id))
    except KeyMissing:
        return []
    async with rt.db.transaction() as session:
        state = await session.get(IndexState, user.id)
        if state is None or not state.chunks:
            return []
        index = await rt.rag.keywords.get(session, user.id, state.version)
    sparse: list[tuple[str, float]] = []
    if mode != "dense":
        hasher = keyword.TermHasher(key_bytes)
        sparse = keyword.search(index, query, hasher, CANDIDATES, since, until)
    dense: list[tuple[str, float]] = []
    if mode != "keyword":
        vector = query_vector
        if vector is None:
            vector = await rt.rag.embed_query(query)
        store = await rt.rag.store()
        hits = await store.search(user.id, vector, CANDIDATES, since, until, state.version)
        dense = [(hit.chunk_id, hit.score) for hit in hits]
    key = DataKey(key_bytes)
    return [
        Source(
            chunk_id,
            record.source_type,
            record.source_id,
            record.day,
            key.decrypt(
                record.text_ct, table="rag_chunks", column="text", row_id=chunk_id
            ).decode(),
            score,
        )
        for chunk_id, score in _ranked(mode, dense, sparse)[:limit]
        if (record := index.chunks.get(chunk_id)) is not None  # a vector without a chunk: skip
    ]


def _ranked(
    mode: str, dense: list[tuple[str, float]], sparse: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    if mode == "rrf":
        return fuse([chunk_id for chunk_id, _ in dense], [chunk_id for chunk_id, _ in sparse])
    return blend(dense, sparse)  # one of the two lists is empty in "dense" and "keyword"


def snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """A window of `text` around the first query word it contains, and where the words are."""
    words = set(keyword.terms(query))
    pattern = (
        re.compile(
            r"\b(" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")\b",
            re.I,
        )
        if words
        else None
    )
    first = pattern.search(text) if pattern else None
    start = max(0, (first.start() if first else 0) - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    window = text[start : start + width]
    prefix, suffix = ("…" if start else ""), ("…" if start + width < len(text) else "")
    shown = prefix + window + suffix
    marks = (
        [(m.start() + len(prefix), m.end() + len(prefix)) for m in pattern.finditer(window)]
        if pattern
        else []
    )
    return shown, marks


def context_block(sources: list[Source]) -> str:
    """Retrieved notes for the model, each with its date so the reply can cite it."""
    lines = [
        "Notes from the user's own diary and past conversations that may help. "
        'When you use one, mention its date (for example: "on 2025-03-04 you wrote..."). '
        "Do not invent notes that are not listed here."
    ]
    for source in sources:
        kind = "diary" if source.source_type == SOURCE_DIARY else "chat"
        lines.append(f"[{source.day.isoformat()}, {kind}] {source.text}")
    return "\n\n".join(lines)


async def reindex_users(
    rt: Runtime, user_ids: list[str], done: Callable[[int], None] | None = None
) -> int:
    """Index these users again, one after another; `done(1)` after each. Returns chunks."""
    chunks = 0
    for user_id in user_ids:
        chunks += await reindex_user(rt, user_id)
        if done is not None:
            done(1)
    return chunks


async def reindex_user(rt: Runtime, user_id: str) -> int:
    """Index every source of a user again (their diary, the chat messages they wrote)."""
    async with rt.db.transaction() as session:
        indexable = [
            (source_type, await loader_for(source_type).indexable(session, user_id))
            for source_type in source_types()
        ]
    count = 0
    for source_type, ids in indexable:
        for start in range(0, len(ids), INDEX_BATCH):
            count += await index_sources(rt, user_id, source_type, ids[start : start + INDEX_BATCH])
    return count
