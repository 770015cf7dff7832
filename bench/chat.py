"""Chat streaming benchmark with the tiny local model.

1. Time to first token (TTFT) of the model called directly, in this process.
2. TTFT seen by a client of a running server, over SSE and over WebSocket.
   Both at 1 and at 16 concurrent chats; the overhead is client-seen minus direct.
   Target: p50 overhead <= 25 ms at 1 chat.
3. Soak: 200 idle WebSocket connections plus 16 streaming chats for 60 s; prints the
   errors (target 0) and the server's memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import free_port, server  # noqa: E402
from confidant.llm.admission import Admission  # noqa: E402
from confidant.llm.base import GenerationParams  # noqa: E402
from confidant.llm.huggingface_connection import HuggingFaceChatModel  # noqa: E402
from confidant.llm.tiny import build_tiny_chat_model  # noqa: E402

MAX_NEW_TOKENS = 16
MAX_CONCURRENCY = 4
TARGET_P50_OVERHEAD_MS = 25.0
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


async def client_ttft(port: int, concurrency: int, rounds: int) -> tuple[list[float], list[float]]:
    base = f"http://127.0.0.1:{port}"
    token, chat_ids = await setup_user(base, concurrency)
    sse: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        await sse_ttft(http, token, chat_ids[0])  # warm-up
        for _ in range(rounds):
            sse += await asyncio.gather(*(sse_ttft(http, token, c) for c in chat_ids))
    sockets = [
        await websockets.connect(f"ws://127.0.0.1:{port}/ws/chats/{c}?token={token}")
        for c in chat_ids
    ]
    ws: list[float] = []
    try:
        await ws_ttft(sockets[0])  # warm-up
        for _ in range(rounds):
            ws += await asyncio.gather(*(ws_ttft(s) for s in sockets))
    finally:
        for socket in sockets:
            await socket.close()
    return sse, ws


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
                    await asyncio.wait_for(ws_ttft(ws), timeout=60)
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
    label: str, concurrency: int, direct: list[float], sse: list[float], ws: list[float]
) -> None:
    d50, d99 = statistics.median(direct), percentile(direct, 0.99)
    print(
        f"\n{label}: {concurrency} concurrent chat(s), "
        f"{len(direct)} direct / {len(sse)} SSE / {len(ws)} WS samples"
    )
    print(f"{'':>28} {'p50 ms':>9} {'p99 ms':>9} {'overhead p50':>13} {'overhead p99':>13}")
    print(f"{'direct model TTFT':>28} {d50:>9.1f} {d99:>9.1f}")
    for name, samples in (("SSE client TTFT", sse), ("WebSocket client TTFT", ws)):
        c50, c99 = statistics.median(samples), percentile(samples, 0.99)
        print(f"{name:>28} {c50:>9.1f} {c99:>9.1f} {c50 - d50:>13.1f} {c99 - d99:>13.1f}")
        if concurrency == 1:
            verdict = "meets" if c50 - d50 <= TARGET_P50_OVERHEAD_MS else "MISSES"
            print(f"{'':>28} target p50 overhead <= {TARGET_P50_OVERHEAD_MS:.0f} ms: {verdict}")


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
        PYTHONPATH=str(ROOT),
    )
    import subprocess

    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True, cwd=ROOT)
    port = free_port()
    with server("confidant.main:create_app", port, env, factory=True) as pid:
        async with httpx.AsyncClient() as http:
            while (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code != 200:
                await asyncio.sleep(0.2)
        await direct_ttft(model, 1, 3)  # warm-up
        for concurrency, rounds in ((1, args.rounds), (16, max(2, args.rounds // 8))):
            direct = await direct_ttft(model, concurrency, rounds)
            sse, ws = await client_ttft(port, concurrency, rounds)
            report("time to first token", concurrency, direct, sse, ws)
        await soak(port, pid, args.soak_seconds, idle=200, active=16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="samples at 1 chat")
    parser.add_argument("--soak-seconds", type=float, default=60.0)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
