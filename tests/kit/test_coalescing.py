"""Concurrent callers share batches; a lone caller and a failing batch behave."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest

from confidant.kit.coalescing import Coalescer
from confidant.rag.embedder import Embedder


class Recorder:
    """Doubles its items, keeps each batch it was given, and holds the first batch until
    released (so the others arrive while it runs)."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()

    def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.release.wait(5)
        return [2 * item for item in items]


async def test_callers_that_arrive_while_a_batch_runs_go_together_in_the_next() -> None:
    work = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(work)
    first = asyncio.create_task(coalesce(0))
    await asyncio.sleep(0.05)
    rest = [asyncio.create_task(coalesce(n)) for n in range(1, 16)]
    await asyncio.sleep(0.05)
    work.release.set()
    assert await first == 0
    assert await asyncio.gather(*rest) == [2 * n for n in range(1, 16)]
    assert work.batches == [[0], list(range(1, 16))]


async def test_a_batch_holds_at_most_max_batch_items() -> None:
    work = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(work, max_batch=4)
    first = asyncio.create_task(coalesce(0))
    await asyncio.sleep(0.05)
    rest = [asyncio.create_task(coalesce(n)) for n in range(1, 11)]
    await asyncio.sleep(0.05)
    work.release.set()
    await asyncio.gather(first, *rest)
    assert [len(batch) for batch in work.batches] == [1, 4, 4, 2]


async def test_a_failing_batch_fails_each_of_its_callers_and_the_next_one_runs() -> None:
    calls = 0

    def flaky(items: list[str]) -> list[str]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("model crashed")
        return [item.upper() for item in items]

    coalesce: Coalescer[str, str] = Coalescer(flaky)
    with pytest.raises(RuntimeError, match="model crashed"):
        await coalesce("a")
    assert await coalesce("b") == "B"


async def test_a_cancelled_caller_leaves_the_others_their_answers() -> None:
    work = Recorder()
    coalesce: Coalescer[int, int] = Coalescer(work)
    first = asyncio.create_task(coalesce(0))
    await asyncio.sleep(0.05)
    gone, kept = asyncio.create_task(coalesce(1)), asyncio.create_task(coalesce(2))
    await asyncio.sleep(0.01)
    gone.cancel()
    work.release.set()
    assert (await first, await kept) == (0, 4)
    assert work.batches == [[0], [2]]


def test_it_works_again_on_a_new_event_loop() -> None:
    coalesce: Coalescer[int, int] = Coalescer(lambda items: [item + 1 for item in items])
    assert asyncio.run(coalesce(1)) == 2
    assert asyncio.run(coalesce(2)) == 3


async def test_queries_embedded_together_match_those_embedded_alone() -> None:
    embedder = Embedder()
    questions = ["when did I feel out of my depth?", "exam", "a long walk by the sea last week"]
    alone = [embedder.encode([question])[0] for question in questions]
    coalesce = Coalescer(embedder.encode)
    together = await asyncio.gather(*(coalesce(question) for question in questions))
    for single, batched in zip(alone, together, strict=True):
        assert float(np.dot(single, batched)) > 0.9999


def test_two_event_loops_at_once_each_get_their_answers() -> None:
    """A server's loop in a thread and the test's own loop share one runtime."""

    def slow_double(items: list[int]) -> list[int]:
        time.sleep(0.01)
        return [2 * item for item in items]

    coalesce: Coalescer[int, int] = Coalescer(slow_double)
    answers: dict[str, list[int]] = {}

    def in_a_loop(name: str, first: int) -> None:
        async def ask_in_waves() -> list[int]:
            got: list[int] = []
            for wave in range(10):
                start = first + 10 * wave
                got += await asyncio.wait_for(
                    asyncio.gather(*(coalesce(n) for n in range(start, start + 10))), 5
                )
            return got

        answers[name] = asyncio.run(ask_in_waves())

    threads = [
        threading.Thread(target=in_a_loop, args=(name, first))
        for name, first in [("one", 0), ("two", 100)]
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == {"one": [2 * n for n in range(100)], "two": [2 * n for n in range(100, 200)]}
