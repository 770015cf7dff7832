"""Concurrent query embeddings: one encoder thread per query against one batch for all
that arrive together (kit/coalescing.py, what retrieval uses), in alternating rounds of
the same process, so both see the same load.

    PYTHONPATH=src python bench/query_embedding.py [--concurrency 16] [--rounds 20]

Prints each way's p50 and p90 per query (time from asking to having the vector) and the
ratio of the p50s. Bounded: every round has a deadline.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.bounded import within  # noqa: E402
from confidant.kit.coalescing import Coalescer  # noqa: E402
from confidant.rag.embedder import Embedder  # noqa: E402

QUESTIONS = [
    "when did I feel out of my depth?",
    "what did I do last weekend with my sister",
    "I slept badly again and I feel anxious about tomorrow",
    "the day the seminar went over my head",
]
ROUND_SECONDS = 60.0


async def one_round(ask: Callable[[str], Awaitable[object]], concurrency: int) -> list[float]:
    async def timed(question: str) -> float:
        started = time.perf_counter()
        await ask(question)
        return (time.perf_counter() - started) * 1000

    questions = [QUESTIONS[n % len(QUESTIONS)] + f" ({n})" for n in range(concurrency)]
    return list(await asyncio.gather(*(timed(q) for q in questions)))


async def main(concurrency: int, rounds: int) -> None:
    embedder = Embedder()
    embedder.encode(QUESTIONS)  # loads the model

    async def a_thread_each(question: str) -> object:
        return (await asyncio.to_thread(embedder.encode, [question]))[0]

    batched: Coalescer[str, object] = Coalescer(embedder.encode)
    ways = {"a thread each": a_thread_each, "batched": batched}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for n in range(rounds):
        order = list(ways) if n % 2 == 0 else list(reversed(ways))
        for name in order:
            times[name] += await within(
                ROUND_SECONDS, one_round(ways[name], concurrency), f"a round, {name}"
            )
    print(f"{concurrency} concurrent query embeddings, {rounds} rounds (alternating order)")
    for name, values in times.items():
        print(
            f"  {name:>14}  p50 {statistics.median(values):7.1f} ms"
            f"   p90 {statistics.quantiles(values, n=10)[-1]:7.1f} ms"
        )
    ratio = statistics.median(times["batched"]) / statistics.median(times["a thread each"])
    print(f"  batched / a thread each, p50: {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.concurrency, arguments.rounds))
