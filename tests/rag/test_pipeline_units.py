"""Splitter, date phrases, keyword terms and fusion, without a server."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from qdrant_client import AsyncQdrantClient

from confidant.kit import dates
from confidant.rag import service as rag_service
from confidant.rag.keyword import TermHasher, terms
from confidant.rag.service import fuse
from confidant.rag.splitter import DiarySplitter
from confidant.rag.vector_store import QdrantVectorStore, VectorRecord


def word_count(text: str) -> int:
    return len(text.split())


def test_paragraphs_are_kept_whole_when_they_fit() -> None:
    splitter = DiarySplitter(word_count, max_tokens=10, overlap_tokens=3)
    text = "one two three\n\nfour five six\n\nseven eight nine ten eleven"
    chunks = splitter.split("entry-1", date(2025, 3, 4), text)
    assert [c.text for c in chunks] == [
        "one two three\n\nfour five six",
        "seven eight nine ten eleven",
    ]
    assert {(c.source_id, c.day) for c in chunks} == {("entry-1", date(2025, 3, 4))}
    assert [c.position for c in chunks] == [0, 1]


def test_long_paragraphs_become_overlapping_windows_of_sentences() -> None:
    splitter = DiarySplitter(word_count, max_tokens=8, overlap_tokens=3)
    text = "A b c. D e f. G h i. J k l. M n o."
    chunks = [c.text for c in splitter.split("e", date(2025, 1, 1), text)]
    assert all(word_count(c) <= 8 for c in chunks)
    assert chunks[0] == "A b c. D e f."
    assert chunks[1].startswith("D e f.")  # the overlap carries the last sentence over
    assert chunks[-1].endswith("M n o.")
    joined = " ".join(chunks)
    for sentence in ["A b c.", "G h i.", "J k l.", "M n o."]:
        assert sentence in joined


def test_a_single_huge_sentence_falls_back_to_words() -> None:
    splitter = DiarySplitter(word_count, max_tokens=5, overlap_tokens=1)
    chunks = [c.text for c in splitter.split("e", date(2025, 1, 1), " ".join(map(str, range(12))))]
    assert all(word_count(c) <= 5 for c in chunks)
    assert chunks[0].split()[0] == "0"
    assert chunks[-1].split()[-1] == "11"
    with pytest.raises(ValueError, match="overlap"):
        DiarySplitter(word_count, max_tokens=5, overlap_tokens=5)


TODAY = date(2026, 11, 20)  # a Friday


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("how did I sleep yesterday?", date(2026, 11, 19), date(2026, 11, 19)),
        ("what did I do last week", date(2026, 11, 9), date(2026, 11, 15)),
        ("anything this month?", date(2026, 11, 1), date(2026, 11, 20)),
        ("how was I in March", date(2026, 3, 1), date(2026, 3, 31)),
        ("how was I in December", date(2025, 12, 1), date(2025, 12, 31)),
        ("in March 2024", date(2024, 3, 1), date(2024, 3, 31)),
        ("on March 4th", date(2026, 3, 4), date(2026, 3, 4)),
        ("the last 3 days", date(2026, 11, 17), date(2026, 11, 20)),
        ("last monday", date(2026, 11, 16), date(2026, 11, 16)),
        ("what happened on 2025-02-03", date(2025, 2, 3), date(2025, 2, 3)),
        ("during the July 2025 heatwave", date(2025, 7, 1), date(2025, 7, 31)),
        ("my birthday on 22 July", date(2026, 7, 22), date(2026, 7, 22)),
        ("on 22 December", date(2025, 12, 22), date(2025, 12, 22)),
        ("Tuesday 3 November 2026", date(2026, 11, 3), date(2026, 11, 3)),
        ("the 4th of March", date(2026, 3, 4), date(2026, 3, 4)),
        ("the first week of March 2026", date(2026, 3, 1), date(2026, 3, 7)),
        ("the last week of February", date(2026, 2, 22), date(2026, 2, 28)),
        ("two weeks ago", date(2026, 11, 2), date(2026, 11, 8)),
        ("3 days ago", date(2026, 11, 17), date(2026, 11, 17)),
        ("a month ago", date(2026, 10, 1), date(2026, 10, 31)),
        ("last weekend", date(2026, 11, 14), date(2026, 11, 15)),
        ("this weekend", date(2026, 11, 21), date(2026, 11, 22)),
        ("over the Easter weekend in 2026", date(2026, 4, 3), date(2026, 4, 6)),
        ("at Christmas", date(2025, 12, 24), date(2025, 12, 26)),
        ("on New Year's Eve", date(2025, 12, 31), date(2025, 12, 31)),
    ],
)
def test_date_phrases(text: str, since: date, until: date) -> None:
    assert dates.resolve(text, TODAY) == dates.DateRange(since, until)


@pytest.mark.parametrize(
    "text",
    ["how is my mood", "I may go running", "we march on", "2025-13-45", "31 February", "3 may be"],
)
def test_no_dates_named(text: str) -> None:
    assert dates.resolve(text, TODAY) is None


def test_terms_drop_stop_words_and_hashes_are_per_user() -> None:
    assert terms("I went to Lisbon with Priya; sleeping, it's sunny!") == [
        "went",
        "lisbon",
        "priya",
        "sleep",
        "it",
        "sunni",
    ]
    one, other = TermHasher(b"k" * 32), TermHasher(b"j" * 32)
    assert one("lisbon") == one("lisbon") != other("lisbon")
    assert "lisbon" not in one("lisbon")


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    fused = [chunk for chunk, _ in fuse(["a", "b", "c"], ["c", "d", "a"])]
    assert fused[:2] == ["a", "c"]
    assert set(fused) == {"a", "b", "c", "d"}


@pytest.mark.filterwarnings("ignore:Payload indexes have no effect in the local Qdrant")
async def test_qdrant_store_filters_by_user_and_date() -> None:
    """Through qdrant-client itself (its local mode), as deployments use a Qdrant server."""
    store = QdrantVectorStore(AsyncQdrantClient(location=":memory:"), "chunks", 3)
    a, b = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
    vector = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    await store.upsert(
        "user-a",
        [
            VectorRecord(a, "entry-1", date(2025, 1, 1), vector),
            VectorRecord(b, "entry-2", date(2025, 6, 1), vector),
        ],
    )
    await store.upsert(
        "user-b",
        [VectorRecord("33333333-3333-3333-3333-333333333333", "x", date(2025, 1, 1), vector)],
    )
    assert {h.chunk_id for h in await store.search("user-a", vector, 10)} == {a, b}
    june = await store.search("user-a", vector, 10, since=date(2025, 5, 1))
    assert [h.chunk_id for h in june] == [b]
    await store.delete_sources("user-a", ["entry-1"])
    assert [h.chunk_id for h in await store.search("user-a", vector, 10)] == [b]
    await store.delete_user("user-a")
    assert await store.search("user-a", vector, 10) == []
    assert len(await store.search("user-b", vector, 10)) == 1
    await store.close()


def test_blend_keeps_what_the_embedding_found_and_lets_exact_words_decide_close_calls() -> None:
    dense = [("seminar", 0.62), ("lisbon", 0.40), ("pizza", 0.39), ("rain", 0.30)]
    sparse = [("rain", 7.0), ("lisbon", 6.0), ("noise", 5.5)]
    ranked = [chunk_id for chunk_id, _ in rag_service.blend(dense, sparse)]
    assert ranked[0] == "seminar"  # no keyword overlap, far ahead on meaning
    assert ranked.index("lisbon") < ranked.index("pizza")  # a shared word breaks the near tie
    assert ranked.index("noise") == len(ranked) - 1  # keyword only: scored from the floor
    assert rag_service.blend([], sparse)[0][0] == "rain"
    assert rag_service.blend(dense, []) == dense
