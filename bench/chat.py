"""Chat streaming benchmark with the tiny local model.

1. Time to first token (TTFT) of the model called directly, in this process.
2. TTFT seen by a client of a running server, over SSE and over WebSocket.
   Both at 1 and at 16 concurrent chats; the overhead is client-seen minus direct.
   Targets: p50 overhead <= 25 ms at 1 chat, <= 50 ms at 16, where the issue's overhead
   is less retrieval: the query's embedding (retrieval's main cost, timed in this
   process) is subtracted. Both that and the whole overhead are judged.
3. Soak: 200 idle WebSocket connections plus 16 streaming chats for 60 s; prints the
   errors (target 0) and the server's memory.

Every turn and every phase is bounded in time (`bench/bounded.py`): a turn that gets no
answer is counted as lost, and a phase that runs out says so; the benchmark goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))  # this checkout's code, not an installed copy

from bench.api import free_port, server  # noqa: E402
from bench.bounded import TURN_SECONDS, PhaseRanOut, phase, wait_ready, within  # noqa: E402
from confidant.llm.admission import Admission  # noqa: E402
from confidant.llm.base import GenerationParams  # noqa: E402
from confidant.llm.huggingface_connection import HuggingFaceChatModel  # noqa: E402
from confidant.llm.tiny import build_tiny_chat_model  # noqa: E402
from confidant.rag.embedder import Embedder  # noqa: E402

MAX_NEW_TOKENS = 16
MAX_CONCURRENCY = 4
TARGET_P50_OVERHEAD_MS = {1: 25.0, 16: 50.0}
PHASE_SECONDS = 600.0  # one concurrency level: direct, SSE and WebSocket samples
PROMPT = "I slept badly again and I feel anxious about tomorrow"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def direct_ttft(model: HuggingFaceChatModel, concurrency: int, rounds: int) -> list[float]:
    params = GenerationParams(MAX_NEW_TOKENS, 0.7, 0.95)
    messages = [{"role": "system", "content": "You are kind."}, {"role": "user", "content": PROMPT}]

    async def one() -> float:
        started = time.perf_counter()
        first = None
        async for _ in model.stream(messages, params):
            first = first or time.perf_counter()
        return 1000 * ((first or time.perf_counter()) - started)

    samples: list[float] = []
    for _ in range(rounds):
        samples += await asyncio.gather(*(one() for _ in range(concurrency)))
    return samples


async def sse_ttft(
    http: httpx.AsyncClient, token: str, chat_id: str, content: str = PROMPT
) -> float:
    started = time.perf_counter()
    async with http.stream(
        "POST",
        "/api/messages",
        json={"chatId": chat_id, "content": content},
        headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
    ) as response:
        if response.status_code != 200:
            raise RuntimeError(f"SSE turn answered {response.status_code}")
        first = None
        async for line in response.aiter_lines():
            if first is None and line.startswith("event: delta"):
                first = time.perf_counter()
            if line.startswith("event: error"):
                raise RuntimeError("error event")
    return 1000 * ((first or time.perf_counter()) - started)


async def ws_ttft(ws: websockets.ClientConnection) -> float:
    started = time.perf_counter()
    await ws.send(json.dumps({"type": "message", "content": PROMPT}))
    first = None
    while True:
        frame = json.loads(await ws.recv())
        if frame["type"] == "delta" and first is None:
            first = time.perf_counter()
        elif frame["type"] == "message":
            return 1000 * ((first or time.perf_counter()) - started)
        elif frame["type"] == "error":
            raise RuntimeError(frame)


async def setup_user(base: str, chats: int) -> tuple[str, list[str]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        email = f"bench-{os.getpid()}-{time.time_ns()}@example.com"
        registered = await http.post(
            "/api/auth/register",
            json={"email": email, "password": "benchmark password", "name": "Bench"},
        )
        token = registered.json()["accessToken"]
        headers = {"Authorization": f"Bearer {token}"}
        ids = [
            (await http.post("/api/chats", json={}, headers=headers)).json()["id"]
            for _ in range(chats)
        ]
        return token, ids


class Samples(list[float]):
    """Time-to-first-token samples of one channel, and the turns that failed or got no
    answer in time (counted, not raised: one lost turn must not stall the benchmark)."""

    def __init__(self) -> None:
        super().__init__()
        self.lost: list[str] = []

    async def take(self, turns: list[Any]) -> None:
        for result in await asyncio.gather(*turns, return_exceptions=True):
            if isinstance(result, BaseException):
                self.lost.append(f"{type(result).__name__}: {result}")
            else:
                self.append(result)


async def client_ttft(
    port: int, concurrency: int, rounds: int, direct_round: Callable[[], Awaitable[None]]
) -> tuple[Samples, Samples]:
    """Client-seen samples; `direct_round` runs before each client round, so that the
    model's own figure is taken under the same load (on a shared machine it varies).
    The channels take turns round by round (which goes first alternates), each in chats
    of its own: run one after the other, whichever went second came out slower (most
    likely the background work the first one's turns left, such as indexing each
    message; not measured apart)."""
    base = f"http://127.0.0.1:{port}"
    token, chat_ids = await setup_user(base, 2 * concurrency)
    sse_chats, ws_chats = chat_ids[:concurrency], chat_ids[concurrency:]
    sse, ws = Samples(), Samples()
    async with contextlib.AsyncExitStack() as stack:
        http = await stack.enter_async_context(
            httpx.AsyncClient(base_url=base, timeout=TURN_SECONDS)
        )
        sockets = [
            await stack.enter_async_context(
                websockets.connect(f"ws://127.0.0.1:{port}/ws/chats/{c}?token={token}")
            )
            for c in ws_chats
        ]
        await within(TURN_SECONDS, sse_ttft(http, token, sse_chats[0]), "SSE warm-up")
        await within(TURN_SECONDS, ws_ttft(sockets[0]), "WebSocket warm-up")

        async def sse_round() -> None:
            turns = [
                within(TURN_SECONDS, sse_ttft(http, token, c), "an SSE turn") for c in sse_chats
            ]
            await sse.take(turns)

        async def ws_round() -> None:
            await ws.take([within(TURN_SECONDS, ws_ttft(s), "a WebSocket turn") for s in sockets])

        for index in range(rounds):
            for channel_round in (sse_round, ws_round) if index % 2 == 0 else (ws_round, sse_round):
                await direct_round()
                await channel_round()
    return sse, ws


async def embedding_ms(rounds: int) -> list[float]:
    """The query's embedding (the main cost of retrieval) timed in this process."""
    embedder = Embedder()
    await asyncio.to_thread(embedder.encode, [PROMPT])  # loads the model

    def once() -> float:
        started = time.perf_counter()
        embedder.encode([PROMPT])
        return 1000 * (time.perf_counter() - started)

    return [await asyncio.to_thread(once) for _ in range(rounds)]


async def soak(port: int, pid: int, seconds: float, idle: int, active: int) -> None:
    token, chat_ids = await setup_user(f"http://127.0.0.1:{port}", active + 1)
    url = f"ws://127.0.0.1:{port}/ws/chats/{{}}?token={token}"
    errors: list[str] = []
    replies = 0
    process = psutil.Process(pid)
    peak_rss = process.memory_info().rss
    idle_sockets = []
    for _ in range(idle):
        idle_sockets.append(await websockets.connect(url.format(chat_ids[-1]), ping_interval=20))
    deadline = time.monotonic() + seconds

    async def chatter(chat_id: str) -> None:
        nonlocal replies
        try:
            async with websockets.connect(url.format(chat_id)) as ws:
                while time.monotonic() < deadline:
                    await within(TURN_SECONDS, ws_ttft(ws), "a soak turn")
                    replies += 1
        except Exception as exc:  # every failure is counted, not raised
            errors.append(f"{type(exc).__name__}: {exc}")

    async def watch_memory() -> None:
        nonlocal peak_rss
        while time.monotonic() < deadline:
            peak_rss = max(peak_rss, process.memory_info().rss)
            await asyncio.sleep(1)

    started_rss = process.memory_info().rss
    await asyncio.gather(watch_memory(), *(chatter(c) for c in chat_ids[:active]))
    for ws in idle_sockets:
        try:
            await ws.send(json.dumps({"type": "ping"}))
            if json.loads(await asyncio.wait_for(ws.recv(), 10)) != {"type": "pong"}:
                errors.append("idle socket: no pong")
        except Exception as exc:
            errors.append(f"idle socket: {type(exc).__name__}: {exc}")
        await ws.close()
    print(
        f"\nsoak: {idle} idle WebSockets + {active} streaming chats for {seconds:.0f} s: "
        f"{replies} replies, errors = {len(errors)} (target 0)"
    )
    for error in errors[:5]:
        print(f"  {error}")
    print(
        f"server memory (RSS): {started_rss / 2**20:.0f} MiB at start of soak, "
        f"peak {peak_rss / 2**20:.0f} MiB"
    )


def report(
    concurrency: int, direct: list[float], embedding: list[float], sse: Samples, ws: Samples
) -> None:
    d50, d99 = statistics.median(direct), percentile(direct, 0.99)
    e50 = statistics.median(embedding)
    target = TARGET_P50_OVERHEAD_MS[concurrency]
    print(
        f"\ntime to first token: {concurrency} concurrent chat(s), "
        f"{len(direct)} direct / {len(sse)} SSE / {len(ws)} WS samples"
    )
    print(f"{'query embedding (retrieval)':>28} {e50:>9.1f} ms p50, in this process")
    print(
        f"{'':>28} {'p50 ms':>9} {'p99 ms':>9} {'overhead p50':>13} {'overhead p99':>13}"
        f" {'less retrieval':>15}"
    )
    print(f"{'direct model TTFT':>28} {d50:>9.1f} {d99:>9.1f}")
    for name, samples in (("SSE client TTFT", sse), ("WebSocket client TTFT", ws)):
        if not samples:
            print(f"{name:>28} no samples; {len(samples.lost)} turns lost")
            continue
        c50, c99 = statistics.median(samples), percentile(samples, 0.99)
        overhead = c50 - d50
        print(
            f"{name:>28} {c50:>9.1f} {c99:>9.1f} {overhead:>13.1f} {c99 - d99:>13.1f}"
            f" {overhead - e50:>15.1f}"
        )
        # The measure subtracts retrieval; the whole overhead is judged beside it.
        for label, figure in (("less retrieval", overhead - e50), ("whole", overhead)):
            verdict = "meets" if figure <= target else "MISSES"
            print(f"{'':>28} target p50 overhead ({label}) <= {target:.0f} ms: {verdict}")
        print(f"{'':>28} turns lost: {len(samples.lost)} (target 0)")
        for lost in samples.lost[:3]:
            print(f"{'':>30}{lost}")


async def latency_phase(
    port: int, model: HuggingFaceChatModel, concurrency: int, rounds: int
) -> None:
    direct: list[float] = []

    async def direct_round() -> None:
        direct.extend(await direct_ttft(model, concurrency, 1))

    embedding = await embedding_ms(max(5, rounds))
    sse, ws = await client_ttft(port, concurrency, rounds, direct_round)
    report(concurrency, direct, embedding, sse, ws)


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="confidant-chat-bench-"))
    model_dir = build_tiny_chat_model(work / "tiny-model", context_window=2048)
    model = HuggingFaceChatModel(str(model_dir), admission=Admission(MAX_CONCURRENCY, 64))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(
        CONFIDANT_DATA_DIR=str(work / "data"),
        CONFIDANT_LLM_MODEL=str(model_dir),
        CONFIDANT_LLM_MAX_NEW_TOKENS=str(MAX_NEW_TOKENS),
        CONFIDANT_LLM_MAX_CONCURRENCY=str(MAX_CONCURRENCY),
        CONFIDANT_LLM_MAX_QUEUE="512",
        CONFIDANT_LOGIN_RATE_PER_IP="100000",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    import subprocess

    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True, cwd=ROOT)
    port = free_port()
    with server("confidant.main:create_app", port, env, factory=True) as pid:
        try:
            await wait_ready(f"http://127.0.0.1:{port}")
        except PhaseRanOut as exc:
            print(f"\n{exc}; nothing measured")
            return
        await phase("direct warm-up", 120, direct_ttft(model, 1, 3))
        for concurrency, rounds in ((1, args.rounds), (16, max(2, args.rounds // 8))):
            await phase(
                f"{concurrency}-chat phase",
                PHASE_SECONDS,
                latency_phase(port, model, concurrency, rounds),
            )
        soak_bound = args.soak_seconds + 2 * TURN_SECONDS + 120  # + connecting, draining
        await phase("soak", soak_bound, soak(port, pid, args.soak_seconds, idle=200, active=16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="samples at 1 chat")
    parser.add_argument("--soak-seconds", type=float, default=60.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
