"""API overhead benchmark: authenticated GET /api/users/me against a bare FastAPI endpoint.

Both run under one uvicorn worker and are loaded in the same run by the same client
(a keep-alive HTTP/1.1 load generator on asyncio, 64 connections), in alternating rounds.
Prints requests/s and p50/p99 latency of each and the throughput ratios: target >= 0.5
with the default read cache, >= 0.2 with it off (every request reads the database, as
every endpoint that is not cached does). `--uncached-only` measures only the latter pair.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.5
UNCACHED_TARGET_RATIO = 0.2
START_SECONDS = 120  # a loaded machine starts a server slowly; past this the run ends
STOP_SECONDS = 30  # a server that has not stopped by then is killed: the run always ends
ME = "GET /api/users/me (Confidant, default settings)"
BARE = "GET /bare (bare FastAPI, constant JSON)"
UNCACHED = "GET /api/users/me (read cache off: DB + decrypt)"


def bench_env(data_dir: str) -> dict[str, str]:
    """The servers' environment: default settings on `data_dir`, this checkout's code
    (not whatever `confidant` the interpreter has installed), and no job worker: jobs
    are not what is measured, and a worker would take CPU from the servers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    env.update(
        CONFIDANT_DATA_DIR=data_dir,
        CONFIDANT_JOBS_WORKER="external",
        PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(app: str, port: int, env: dict[str, str], factory: bool = False) -> Iterator[int]:
    """Run `app` under one uvicorn worker; yields the server's process id."""
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--ws",
        "websockets-sansio",
        "--log-level",
        "warning",
        "--no-access-log",
    ] + (["--factory"] if factory else [])
    process = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{app} did not start")
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


async def worker(
    port: int, request: bytes, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not status_line.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


async def load(
    port: int, path: str, token: str | None, seconds: float, connections: int
) -> dict[str, float]:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}\r\n".encode()
    latencies: list[float] = []
    errors: list[int] = []
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(
        *(worker(port, request, stop_at, latencies, errors) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[int(len(ordered) * 0.99)],
        "errors": float(len(errors)),
    }


def wait_until_settled(port: int, limit: float = 180.0) -> None:
    """Wait until the server's model has loaded or failed: loading it (importing torch,
    reading weights) takes a core for a while and would skew whatever runs meanwhile."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        except httpx.TimeoutException:  # busy loading it
            continue
        if "still loading" not in response.text:
            return
        time.sleep(0.5)
    raise RuntimeError("the model did not settle")


def register(port: int) -> str:
    response = httpx.post(
        f"http://127.0.0.1:{port}/api/auth/register",
        json={"email": "bench@example.com", "password": "benchmark password", "name": "Bench"},
    )
    response.raise_for_status()
    token = str(response.json()["accessToken"])
    httpx.patch(
        f"http://127.0.0.1:{port}/api/users/me",
        json={"medicalCard": {"heightCm": 175, "weightKg": 70, "allergies": ["pollen"]}},
        headers={"Authorization": f"Bearer {token}"},
    ).raise_for_status()
    return token


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--uncached-only", action="store_true", help="only the read-cache-off pair")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="confidant-bench-")
    env = bench_env(data_dir)
    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True, cwd=ROOT)
    app_port, uncached_port, bare_port = free_port(), free_port(), free_port()
    uncached_env = {**env, "CONFIDANT_READ_CACHE_SECONDS": "0"}
    with (
        server("confidant.main:create_app", app_port, env, factory=True),
        server("confidant.main:create_app", uncached_port, uncached_env, factory=True),
        server("bench.bare_app:app", bare_port, env),
    ):
        for port in (app_port, uncached_port):
            wait_until_settled(port)  # the model's loading would take a core meanwhile
        token = register(app_port)
        targets = {
            ME: (app_port, "/api/users/me", token),
            BARE: (bare_port, "/bare", None),
            UNCACHED: (uncached_port, "/api/users/me", token),
        }
        if args.uncached_only:
            del targets[ME]
        for port, path, auth in targets.values():  # warm-up
            asyncio.run(load(port, path, auth, 1.0, args.connections))
        results: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, (port, path, auth) in targets.items():
                results[name].append(
                    asyncio.run(load(port, path, auth, args.seconds, args.connections))
                )

    print(
        f"\nbench/api.py: {args.connections} connections, {args.rounds} alternating rounds"
        f" of {args.seconds:.0f} s, one uvicorn worker each, SQLite"
    )
    print(f"{'endpoint':<55} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    medians = {}
    for name, runs in results.items():
        row = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        medians[name] = row
        print(
            f"{name:<55} {row['rps']:>9.0f} {row['p50_ms']:>8.1f}"
            f" {row['p99_ms']:>8.1f} {row['errors']:>7.0f}"
        )
    if ME in medians:
        ratio = medians[ME]["rps"] / medians[BARE]["rps"]
        print(f"throughput ratio me/bare = {ratio:.2f}   {verdict(ratio, TARGET_RATIO)}")
    uncached = medians[UNCACHED]["rps"] / medians[BARE]["rps"]
    print(
        f"read cache off: ratio me/bare = {uncached:.2f}   "
        + verdict(uncached, UNCACHED_TARGET_RATIO)
    )


def verdict(ratio: float, target: float) -> str:
    return f"(target >= {target}: {'meets' if ratio >= target else 'MISSES'})"


if __name__ == "__main__":
    main()
