"""Wellbeing benchmark: the everyday reads and writes of a heavy user, against a running
server (tiny local model, embedded SQLite, default settings).

The user has a year of mood entries (2 a day), a year of mindfulness sessions (1 a day),
5 habits checked in over the last week, a questionnaire every fortnight and 30 days of
wearable data (5-minute heart rate, hourly steps, nightly sleep).

1. Wearable ingest: samples per second in batches of 5,000, and a resent batch.
2. Latency p50/p95 of analytics (week, month), the SVG and PNG charts, today's insight,
   and the full export.
3. Logging a mood (which recomputes streak, XP and level from every activity row) for
   the heavy user against a new user: the ratio is what a year of history costs.
The issue sets no targets; the figures are for comparison between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api import free_port, server  # noqa: E402
from confidant.llm.tiny import build_tiny_chat_model  # noqa: E402

BATCH = 5000
DAYS_OF_HISTORY = 365
DAYS_OF_SAMPLES = 30


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def register(http: httpx.AsyncClient) -> dict[str, str]:
    email = f"bench-{os.getpid()}-{time.time_ns()}@example.com"
    response = await http.post(
        "/api/auth/register", json={"email": email, "password": "benchmark pw 1", "name": "B"}
    )
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


async def post_all(http: httpx.AsyncClient, headers: dict[str, str], calls: list[tuple]) -> None:
    for path, body in calls:
        response = await http.post(path, json=body, headers=headers)
        response.raise_for_status()


async def seed_history(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    now = datetime.now(UTC)
    calls: list[tuple] = []
    for day in range(DAYS_OF_HISTORY):
        at = now - timedelta(days=day, hours=2)
        calls.append(("/api/mood", {"score": 3 + day % 7, "loggedAt": at.isoformat()}))
        calls.append(("/api/mood", {"score": 4 + day % 5, "loggedAt": at.isoformat()}))
        calls.append(
            (
                "/api/mindfulness/sessions",
                {"title": "Breathing", "durationMin": 5 + day % 10, "completedAt": at.isoformat()},
            )
        )
    await post_all(http, headers, calls)
    for n in range(5):
        habit = await http.post("/api/habits", json={"name": f"habit {n}"}, headers=headers)
        today = now.date()
        for back in range(0, 7, 1 + n % 2):
            day = (today - timedelta(days=back)).isoformat()
            await http.post(
                f"/api/habits/{habit.json()['id']}/check-ins", json={"day": day}, headers=headers
            )
    for _ in range(2):
        await http.post(
            "/api/assessments/phq-9/responses", json={"answers": [1] * 9}, headers=headers
        )


def samples() -> list[dict[str, object]]:
    now = datetime.now(UTC)
    found: list[dict[str, object]] = []
    for minute in range(0, DAYS_OF_SAMPLES * 1440, 5):
        at = now - timedelta(minutes=minute + 1)
        found.append(
            {
                "id": f"hr-{minute}",
                "type": "heart_rate",
                "value": 60 + minute % 40,
                "at": at.isoformat(),
            }
        )
        if minute % 60 == 0:
            found.append(
                {"id": f"st-{minute}", "type": "steps", "value": 300, "at": at.isoformat()}
            )
        if minute % 1440 == 0:
            found.append(
                {"id": f"sl-{minute}", "type": "sleep_minutes", "value": 400, "at": at.isoformat()}
            )
    return found


async def ingest(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    batch = samples()
    started = time.perf_counter()
    for start in range(0, len(batch), BATCH):
        response = await http.post(
            "/api/sensors", json={"samples": batch[start : start + BATCH]}, headers=headers
        )
        response.raise_for_status()
    took = time.perf_counter() - started
    started = time.perf_counter()
    again = await http.post("/api/sensors", json={"samples": batch[:BATCH]}, headers=headers)
    resent = time.perf_counter() - started
    print("\nwearable ingest")
    print(
        f"  {len(batch):,} new samples in batches of {BATCH:,}: {len(batch) / took:,.0f} samples/s"
    )
    print(
        f"  a resent batch of {BATCH:,} ({again.json()['duplicates']:,} duplicates): "
        f"{BATCH / resent:,.0f} samples/s"
    )


async def latency(http: httpx.AsyncClient, headers: dict[str, str], path: str, n: int) -> None:
    await http.get(path, headers=headers)  # warm-up
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await http.get(path, headers=headers)
        times.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
    print(
        f"  {path:<36} p50 {statistics.median(times):>8.1f} ms  "
        f"p95 {percentile(times, 0.95):>8.1f} ms  ({len(response.content):,} bytes, n={n})"
    )


async def log_mood(http: httpx.AsyncClient, headers: dict[str, str], n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = await http.post("/api/mood", json={"score": 6}, headers=headers)
        times.append(1000 * (time.perf_counter() - started))
        response.raise_for_status()
    return statistics.median(times)


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="confidant-wellbeing-bench-"))
    model_dir = build_tiny_chat_model(work / "tiny-model", context_window=2048)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(
        CONFIDANT_DATA_DIR=str(work / "server"),
        CONFIDANT_LLM_MODEL=str(model_dir),
        CONFIDANT_LOGIN_RATE_PER_IP="100000",
        CONFIDANT_MAX_BODY_BYTES=str(4 * 1024 * 1024),
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True, cwd=ROOT)
    port = free_port()
    with server("confidant.main:create_app", port, env, factory=True):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=300) as http:
            heavy = await register(http)
            started = time.perf_counter()
            await seed_history(http, heavy)
            print(f"seeded a year of history in {time.perf_counter() - started:.1f} s")
            await ingest(http, heavy)
            print("\nreads for the heavy user")
            for path in (
                "/api/analytics?range=week",
                "/api/analytics?range=month",
                "/api/analytics/mood.svg?range=month",
                "/api/analytics/mood.png?range=month",
                "/api/insights/daily",
                "/api/sensors/daily",
            ):
                await latency(http, heavy, path, args.rounds)
            await latency(http, heavy, "/api/users/me/export", max(3, args.rounds // 6))
            fresh = await register(http)
            light = await log_mood(http, fresh, args.rounds)
            loaded = await log_mood(http, heavy, args.rounds)
            print("\nPOST /api/mood (stats recomputed from every activity row)")
            print(
                f"  new user p50 {light:.1f} ms, heavy user p50 {loaded:.1f} ms, "
                f"ratio heavy/new = {loaded / light:.2f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="requests per measured route")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
