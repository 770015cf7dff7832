"""Keyword (BM25) search over a user's chunks without storing their words.

Postings hold a keyed hash of each term, keyed by the user's own data key: the database
can rank by exact words, but reveals no word, and crypto-shredding the key ends it."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections import Counter
from datetime import date

import snowballstemmer
from sqlalchemy import case, func, select
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


async def search(
    session: AsyncSession,
    user_id: str,
    query: str,
    hasher: TermHasher,
    limit: int,
    since: date | None = None,
    until: date | None = None,
) -> list[tuple[str, float]]:
    """Chunk ids by BM25 score over the user's own chunks, best first.

    The database does the scoring (one grouped query), so only the best `limit` rows
    travel back, however many chunks contain a common word."""
    query_terms = sorted({hasher(word) for word in terms(query)})
    if not query_terms:
        return []
    n, average_length = (
        await session.execute(
            select(func.count(), func.avg(Chunk.length)).where(Chunk.user_id == user_id)
        )
    ).one()
    if not n:
        return []
    frequencies = await session.execute(
        select(ChunkTerm.term, func.count())
        .where(ChunkTerm.user_id == user_id, ChunkTerm.term.in_(query_terms))
        .group_by(ChunkTerm.term)
    )
    idf = {term: math.log(1 + (n - df + 0.5) / (df + 0.5)) for term, df in frequencies}
    if not idf:
        return []
    weight = case(idf, value=ChunkTerm.term, else_=0.0)
    length_norm = 1 - B + B * Chunk.length / float(average_length or 1.0)
    score = func.sum(
        weight * ChunkTerm.frequency * (K1 + 1) / (ChunkTerm.frequency + K1 * length_norm)
    ).label("score")
    statement = (
        select(ChunkTerm.chunk_id, score)
        .join(Chunk, Chunk.id == ChunkTerm.chunk_id)
        .where(ChunkTerm.user_id == user_id, ChunkTerm.term.in_(list(idf)))
    )
    if since is not None:
        statement = statement.where(Chunk.chunk_date >= since)
    if until is not None:
        statement = statement.where(Chunk.chunk_date <= until)
    statement = statement.group_by(ChunkTerm.chunk_id).order_by(score.desc()).limit(limit)
    return [(chunk_id, float(value)) for chunk_id, value in await session.execute(statement)]
