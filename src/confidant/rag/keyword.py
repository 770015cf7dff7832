"""Keyword (BM25) search over a user's chunks without storing their words.

Postings hold a keyed hash of each term, keyed by the user's own data key: the database
can rank by exact words, but reveals no word, and crypto-shredding the key ends it."""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import date

import numpy as np
import snowballstemmer
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.rag.models import Chunk, ChunkTerm

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
STOPWORDS = frozenset(
    """a about after again all am an and any are as at be because been before being
    both but by can could did do does doing down during each few for from had has have
    having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them then there
    these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours""".split()
)
K1 = 1.2
B = 0.75


STEMMER = snowballstemmer.stemmer("english")


def terms(text: str) -> list[str]:
    """Stemmed lower-case words ("sleeping", "sleeps" → "sleep"), without stop words."""
    words = [w.lower().replace("’", "'") for w in WORD.findall(text)]
    kept = [w for w in words if len(w) > 1 and w not in STOPWORDS]
    return list(STEMMER.stemWords(kept))


class TermHasher:
    def __init__(self, user_key: bytes) -> None:
        self._key = hmac.new(user_key, b"confidant-keyword-index", hashlib.sha256).digest()

    def __call__(self, term: str) -> str:
        return hmac.new(self._key, term.encode(), hashlib.sha256).hexdigest()[:16]


def postings(
    chunk_id: str, user_id: str, text: str, hasher: TermHasher
) -> tuple[int, list[dict[str, object]]]:
    """The chunk's length in terms, and its `rag_chunk_terms` rows."""
    words = terms(text)
    counts = Counter(hasher(word) for word in words)
    rows: list[dict[str, object]] = [
        {"chunk_id": chunk_id, "term": term, "user_id": user_id, "frequency": count}
        for term, count in counts.items()
    ]
    return len(words), rows


@dataclass(frozen=True)
class ChunkRecord:
    source_type: str
    source_id: str
    day: date
    text_ct: bytes


@dataclass
class UserKeywordIndex:
    """One user's chunks in memory: postings as arrays (BM25 is a few vector operations)
    and each chunk's source, date and still-encrypted text, so a search needs no query."""

    version: int
    chunk_ids: NDArray[np.object_]
    days: NDArray[np.int32]
    lengths: NDArray[np.float32]
    postings: dict[str, tuple[NDArray[np.int32], NDArray[np.float32]]]
    chunks: dict[str, ChunkRecord]

    @classmethod
    async def load(cls, session: AsyncSession, user_id: str, version: int) -> UserKeywordIndex:
        rows = (
            await session.execute(
                select(
                    Chunk.id,
                    Chunk.chunk_date,
                    Chunk.length,
                    Chunk.source_type,
                    Chunk.source_id,
                    Chunk.text_ct,
                ).where(Chunk.user_id == user_id)
            )
        ).all()
        chunks = [(r[0], r[1], r[2]) for r in rows]
        position = {chunk_id: n for n, (chunk_id, _, _) in enumerate(chunks)}
        grouped: dict[str, tuple[list[int], list[int]]] = {}
        postings = await session.execute(
            select(ChunkTerm.term, ChunkTerm.chunk_id, ChunkTerm.frequency).where(
                ChunkTerm.user_id == user_id
            )
        )
        for term, chunk_id, frequency in postings:
            if (n := position.get(chunk_id)) is not None:
                where, counts = grouped.setdefault(term, ([], []))
                where.append(n)
                counts.append(frequency)
        return cls(
            version=version,
            chunk_ids=np.array([c[0] for c in chunks], dtype=object),
            days=np.array([c[1].toordinal() for c in chunks], dtype=np.int32),
            lengths=np.array([c[2] for c in chunks], dtype=np.float32),
            postings={
                term: (np.array(where, dtype=np.int32), np.array(counts, dtype=np.float32))
                for term, (where, counts) in grouped.items()
            },
            chunks={r[0]: ChunkRecord(r[3], r[4], r[1], r[5]) for r in rows},
        )

    def appended(
        self, version: int, chunks: list[Chunk], postings: list[dict[str, object]]
    ) -> UserKeywordIndex:
        """A copy with these new chunks and their postings added."""
        start = len(self.chunk_ids)
        position = {chunk.id: start + n for n, chunk in enumerate(chunks)}
        grouped: dict[str, tuple[list[int], list[float]]] = {}
        for row in postings:
            where, counts = grouped.setdefault(str(row["term"]), ([], []))
            where.append(position[str(row["chunk_id"])])
            counts.append(float(row["frequency"]))  # type: ignore[arg-type]
        merged = dict(self.postings)
        for term, (where, counts) in grouped.items():
            new_where, new_counts = np.array(where, np.int32), np.array(counts, np.float32)
            if term in merged:
                old_where, old_counts = merged[term]
                new_where = np.concatenate([old_where, new_where])
                new_counts = np.concatenate([old_counts, new_counts])
            merged[term] = (new_where, new_counts)
        records = {
            c.id: ChunkRecord(c.source_type, c.source_id, c.chunk_date, c.text_ct) for c in chunks
        }
        return UserKeywordIndex(
            version=version,
            chunk_ids=np.concatenate([self.chunk_ids, np.array([c.id for c in chunks], object)]),
            days=np.concatenate(
                [self.days, np.array([c.chunk_date.toordinal() for c in chunks], np.int32)]
            ),
            lengths=np.concatenate(
                [self.lengths, np.array([c.length for c in chunks], np.float32)]
            ),
            postings=merged,
            chunks={**self.chunks, **records},
        )

    @functools.cached_property
    def size(self) -> int:
        arrays = sum(where.nbytes + counts.nbytes for where, counts in self.postings.values())
        texts = sum(len(record.text_ct) for record in self.chunks.values())
        return int(arrays + texts + 200 * len(self.chunk_ids))

    def search(
        self, hashed_terms: list[str], limit: int, since: date | None, until: date | None
    ) -> list[tuple[str, float]]:
        count = len(self.chunk_ids)
        if not count:
            return []
        average = float(self.lengths.mean()) or 1.0
        scores = np.zeros(count, dtype=np.float32)
        for term in hashed_terms:
            if term not in self.postings:
                continue
            where, frequency = self.postings[term]
            idf = math.log(1 + (count - len(where) + 0.5) / (len(where) + 0.5))
            norm = frequency + K1 * (1 - B + B * self.lengths[where] / average)
            scores[where] += idf * frequency * (K1 + 1) / norm
        candidates = np.flatnonzero(scores > 0)
        if since is not None:
            candidates = candidates[self.days[candidates] >= since.toordinal()]
        if until is not None:
            candidates = candidates[self.days[candidates] <= until.toordinal()]
        if not len(candidates):
            return []
        take = min(limit, len(candidates))
        best = candidates[np.argpartition(-scores[candidates], take - 1)[:take]]
        best = best[np.argsort(-scores[best])]
        return [(str(self.chunk_ids[n]), float(scores[n])) for n in best]


class KeywordIndexCache:
    """Users' keyword indexes in memory, reloaded when the user's index version moves
    (any process may have changed it), least recently used users dropped first."""

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self._indexes: OrderedDict[str, UserKeywordIndex] = OrderedDict()
        self._max_bytes = max_bytes

    def append(
        self,
        user_id: str,
        before: int,
        after: int,
        chunks: list[Chunk],
        postings: list[dict[str, object]],
    ) -> bool:
        """Add new chunks to a cached index that is exactly at `before`; False otherwise."""
        index = self._indexes.get(user_id)
        if index is None or index.version != before:
            return False
        self._indexes[user_id] = index.appended(after, chunks, postings)
        return True

    async def get(self, session: AsyncSession, user_id: str, version: int) -> UserKeywordIndex:
        index = self._indexes.get(user_id)
        if index is None or index.version != version:
            index = await UserKeywordIndex.load(session, user_id, version)
            self._indexes[user_id] = index
        self._indexes.move_to_end(user_id)
        while (
            len(self._indexes) > 1 and sum(i.size for i in self._indexes.values()) > self._max_bytes
        ):
            self._indexes.popitem(last=False)
        return index


def search(
    index: UserKeywordIndex,
    query: str,
    hasher: TermHasher,
    limit: int,
    since: date | None = None,
    until: date | None = None,
) -> list[tuple[str, float]]:
    """Chunk ids by BM25 score over the user's own chunks, best first."""
    hashed = sorted({hasher(word) for word in terms(query)})
    return index.search(hashed, limit, since, until) if hashed else []
