"""Ledger benchmark, on SQLite on this machine.

1. Sustained append rate through the sequencer: a backlog of row-write leaves in the
   outbox (as request transactions leave them) and of API-call leaves in memory,
   sequenced in batches into leaves + tree nodes + signed checkpoints.
   Target >= 10,000 leaves/s.
2. The API-call middleware's cost: req/s on authenticated GET /api/users/me with and
   without it, alternating rounds in one run, one uvicorn worker each. Target >= 0.9.
3. `ledger verify` over 1,000,000 leaves. Target <= 20 s.
4. Inclusion-proof generation (leaf lookup by hash + node reads + hashing) at 1,000,000
   leaves, p50. Target <= 2 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from bench.api import bench_env, free_port, load, register, server, wait_until_settled
from confidant.config import Settings
from confidant.kit import migrate
from confidant.kit.db import utcnow
from confidant.ledger import service
from confidant.ledger.leaves import api_call_leaf, row_write_leaf
from confidant.ledger.models import LedgerLeaf, LedgerOutbox
from confidant.ledger.store import PendingLeaf
from confidant.ledger.verify import verify_log
from confidant.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
APPEND_TARGET = 10_000
RATIO_TARGET = 0.9
VERIFY_TARGET_S = 20.0
PROOF_TARGET_MS = 2.0
NO_MODEL_SERVER = "http://127.0.0.1:9/v1"  # the discard port: nothing answers


def verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def row_leaf(number: int) -> dict[str, object]:
    data = row_write_leaf(
        table="diary_entries",
        operation="insert",
        row_key=f"{number:064x}",
        row_sha256=f"{number * 7:064x}",
        subject=f"{number % 1000:064x}",
        request_id=f"bench{number:016x}",
        at=utcnow(),
    )
    return {"data": data, "subject": f"{number % 1000:064x}"}


def call_leaf(number: int) -> PendingLeaf:
    subject = f"{number % 1000:064x}"
    data = api_call_leaf(
        method="GET",
        route="/api/users/me",
        status=200,
        subject=subject,
        request_id=f"bench{number:016x}",
        at=utcnow(),
        duration_ms=1.234,
        body_sha256="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    )
    return PendingLeaf(data, subject)


async def fill_outbox(rt: Runtime, count: int, start: int) -> None:
    for offset in range(0, count, 20_000):
        rows = [row_leaf(start + n) for n in range(offset, min(count, offset + 20_000))]
        async with rt.db.engine.begin() as connection:
            await connection.execute(insert(LedgerOutbox), rows)


async def append_rate(rt: Runtime, count: int, start: int) -> tuple[float, float]:
    """Leaves/s through the sequencer for an outbox backlog and for API-call leaves."""
    await fill_outbox(rt, count, start)
    started = time.perf_counter()
    assert await rt.sequencer.drain() == count
    outbox_rate = count / (time.perf_counter() - started)
    for number in range(count):
        rt.ledger.calls.add(call_leaf(start + count + number))
    started = time.perf_counter()
    assert await rt.sequencer.drain() == count
    calls_rate = count / (time.perf_counter() - started)
    return outbox_rate, calls_rate


async def build_log(rt: Runtime, size: int, first_batch: int) -> None:
    done = first_batch
    while done < size:
        batch = min(100_000, size - done)
        await fill_outbox(rt, batch, done)
        await rt.sequencer.drain()
        done += batch
        print(f"  built {done:,} leaves", file=sys.stderr)


async def proof_latency(rt: Runtime, size: int, samples: int) -> list[float]:
    chooser = random.Random(1)
    async with rt.db.engine.connect() as connection:
        hashes = [
            bytes(h)
            for h in await connection.scalars(
                select(LedgerLeaf.leaf_hash).where(
                    LedgerLeaf.leaf_index.in_([chooser.randrange(size) for _ in range(samples)])
                )
            )
        ]
    timings = []
    for leaf in hashes:
        started = time.perf_counter()
        await service.inclusion_proof(rt, leaf, size)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def pin(*server_pids: int) -> None:
    """Servers on the first core, this load generator on the others: the two servers then
    see the same core in turn instead of whatever the scheduler hands each."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2:
        return
    for pid in server_pids:
        for task in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(task), {cores[0]})
    os.sched_setaffinity(0, set(cores[1:]))


APPS = {"with": "confidant.main:create_app", "without": "bench.no_ledger_app:create_app"}


def middleware_ratio(seconds: float, rounds: int, connections: int) -> dict[str, float]:
    """Each round starts a fresh pair of servers (in alternating order), because two
    processes of the very same app differed by up to 30% here: a lone pair is noise."""
    results: dict[str, list[float]] = {name: [] for name in APPS}
    for number in range(rounds):
        order = list(APPS) if number % 2 == 0 else list(reversed(APPS))
        for name, rps in measure_pair(order, int(seconds), connections).items():
            results[name].append(rps)
        print(
            f"  round {number + 1}: "
            + ", ".join(f"{k} {v[-1]:.0f} req/s" for k, v in results.items()),
            file=sys.stderr,
        )
    return {name: statistics.median(values) for name, values in results.items()}


def measure_pair(order: list[str], slices: int, connections: int) -> dict[str, float]:
    ports = {name: free_port() for name in order}
    with contextlib.ExitStack() as stack:
        pids = [
            stack.enter_context(server(APPS[name], ports[name], fresh_env(), factory=True))
            for name in order
        ]
        pin(*pids)
        for port in ports.values():
            wait_until_settled(port)
        tokens = {name: register(port) for name, port in ports.items()}
        for name, port in ports.items():
            asyncio.run(load(port, "/api/users/me", tokens[name], 1.0, connections))
        # Short slices in alternation: both servers see the same moments of this shared
        # machine's background load.
        served = dict.fromkeys(ports, 0.0)
        for _ in range(slices):
            for name, port in ports.items():
                outcome = asyncio.run(load(port, "/api/users/me", tokens[name], 1.0, connections))
                served[name] += outcome["rps"]
        return {name: total / slices for name, total in served.items()}


def fresh_env() -> dict[str, str]:
    env = bench_env(tempfile.mkdtemp(prefix="confidant-bench-"))
    env.update(HF_HUB_OFFLINE="1", PYTHONHASHSEED="0")
    # GET /api/users/me needs no model: a remote one that is not there settles at once,
    # where loading the bundled one took minutes on a loaded machine and a core meanwhile
    env.update(CONFIDANT_LLM_PROVIDER="openai", CONFIDANT_LLM_BASE_URL=NO_MODEL_SERVER)
    subprocess.run([sys.executable, "-m", "confidant", "migrate"], env=env, check=True)
    return env


async def log_benchmarks(size: int, append_count: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="confidant-ledger-bench-"))
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        ledger_checkpoint_leaves=1000,
        jwt_secret="bench-" + "x" * 40,
    )
    await asyncio.to_thread(migrate.upgrade, settings)
    rt = await Runtime.start(settings)
    try:
        outbox_rate, calls_rate = await append_rate(rt, append_count, 0)
        for name, rate in (("outbox backlog", outbox_rate), ("API-call leaves", calls_rate)):
            target = f"target >= {APPEND_TARGET:,}: {verdict(rate >= APPEND_TARGET)}"
            print(f"append, {name:<16} {rate:>10,.0f} leaves/s   ({target})")
        await build_log(rt, size, 2 * append_count)

        started = time.perf_counter()
        report = await verify_log(rt.db, rt.ledger.signer.verifier_key)
        verify_s = time.perf_counter() - started
        assert report.ok, report.problems[:5]
        target = f"target <= {VERIFY_TARGET_S:.0f} s: {verdict(verify_s <= VERIFY_TARGET_S)}"
        print(
            f"verify {report.tree_size:,} leaves, {report.checkpoints} checkpoints"
            f"  {verify_s:>6.1f} s   ({target})"
        )

        env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
        env.update(CONFIDANT_DATA_DIR=str(data_dir), CONFIDANT_JWT_SECRET="bench-" + "x" * 40)
        started = time.perf_counter()
        command = [sys.executable, "-m", "confidant", "ledger", "verify"]
        cli = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        cli_s = time.perf_counter() - started
        print(
            f"`confidant ledger verify`, process start included  {cli_s:>6.1f} s"
            f"   ({cli.stdout.strip()[:40]}...)"
        )

        timings = sorted(await proof_latency(rt, report.tree_size, 2000))
        p50 = timings[len(timings) // 2]
        p99 = timings[int(len(timings) * 0.99)]
        target = f"target p50 <= {PROOF_TARGET_MS} ms: {verdict(p50 <= PROOF_TARGET_MS)}"
        print(
            f"inclusion proof at {report.tree_size:,} leaves"
            f"  p50 {p50:.2f} ms  p99 {p99:.2f} ms   ({target})"
        )
    finally:
        await rt.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000, help="log size for verify/proofs")
    parser.add_argument("--append", type=int, default=100_000, help="backlog for the append rate")
    parser.add_argument("--seconds", type=float, default=10.0, help="per server per round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--ratio-only", action="store_true", help="only the middleware ratio")
    parser.add_argument("--log-only", action="store_true", help="skip the middleware ratio")
    args = parser.parse_args()
    print(f"bench/ledger.py: SQLite, {os.cpu_count()} cores")
    if not args.ratio_only:
        asyncio.run(log_benchmarks(args.leaves, args.append))
    if args.log_only:
        return
    rps = middleware_ratio(args.seconds, args.rounds, args.connections)
    ratio = rps["with"] / rps["without"]
    print(f"GET /api/users/me with the ledger middleware     {rps['with']:>8.0f} req/s")
    print(f"GET /api/users/me without the ledger middleware  {rps['without']:>8.0f} req/s")
    target = f"target >= {RATIO_TARGET}: {verdict(ratio >= RATIO_TARGET)}"
    print(f"ratio with/without = {ratio:.2f}   ({target})")


if __name__ == "__main__":
    main()
