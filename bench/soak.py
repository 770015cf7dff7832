"""Soak: simulated users against two API processes and one worker on PostgreSQL and Redis.

Each simulated user signs in, then loops over a mixed workload in realistic proportions
(chat turns streamed over SSE or WebSocket, diary writes and reads, search, mood logs,
wearable sensor batches, token refreshes and sign-ins, audit reads, exports), with a
think time between actions. It runs `confidant serve --workers 2` and one `confidant
worker` on a fresh PostgreSQL database (dropped at the end) and an empty Redis database
(flushed at the end), with the tiny local chat model and the bundled embedding and
crisis-screen models.

Prints per-endpoint throughput and p50/p99, errors by status, the server processes'
memory over time, then checks every write the load generator saw acknowledged by
reading it back and runs `confidant ledger verify --rows`. Targets: zero 5xx, zero
errors other than intended 429s, no acknowledged write missing, the ledger verifies,
memory growth after warm-up <= 10 %. Last, the knee: simulated users step up (2, 4, 8,
16, 32) until chat p99 (time to the first token) passes 2 s.

Every phase is bounded in time (`bench/bounded.py`); one that runs out says so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
import redis
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))  # this checkout's code, not an installed copy

from bench.api import free_port  # noqa: E402
from bench.bounded import TURN_SECONDS, PhaseRanOut, phase, wait_ready, within  # noqa: E402
from confidant.llm.tiny import build_tiny_chat_model  # noqa: E402

PG = "postgres@127.0.0.1:5432"
REDIS_HOST = "redis://127.0.0.1:6379"
PASSWORD = "soak benchmark password"
MAX_NEW_TOKENS = 16
THINK_SECONDS = 2.0  # mean pause between one user's actions (exponential)
WARM_UP_SECONDS = 60.0  # memory growth is measured from here
MEMORY_EVERY_SECONDS = 5.0
KNEE_STEPS = (2, 4, 8, 16, 32, 64, 128)
KNEE_P99_SECONDS = 2.0
TARGET_MEMORY_GROWTH = 0.10
REQUEST_SECONDS = 60.0
PROMPTS = (
    "I slept badly again and I feel anxious about tomorrow",
    "Work was a lot today, can you help me wind down?",
    "I went for a walk and felt a bit better",
    "Why do I keep waking up at 4 am?",
)
# (action, weight): what a person does in the app, roughly how often
MIX = (
    ("chat", 25),
    ("diary_write", 10),
    ("diary_read", 8),
    ("search", 8),
    ("mood_log", 12),
    ("sensor_batch", 15),
    ("refresh", 6),
    ("sign_in", 2),
    ("audit_read", 8),
    ("export", 2),
    ("chats_list", 4),
)


# --- what the load generator saw -------------------------------------------------------------


@dataclass
class Acknowledged:
    """Every write the server acknowledged, to read back at the end."""

    diary: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (token user, text)
    mood: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (user, score)
    replies: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (user, chat)
    samples: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # user -> ids

    def count(self) -> int:
        samples = sum(len(ids) for ids in self.samples.values())
        return len(self.diary) + len(self.mood) + len(self.replies) + samples


@dataclass
class Stats:
    """Latency and status of every request, by endpoint, within one measured window."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    first_token: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None

    def record(self, endpoint: str, status: str, seconds: float) -> None:
        self.latencies[endpoint].append(seconds)
        self.statuses[endpoint][status] += 1

    def fail(self, endpoint: str, status: str, detail: str) -> None:
        self.statuses[endpoint][status] += 1
        if len(self.failures) < 20:
            self.failures.append(f"{endpoint} {status}: {detail[:200]}")

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.started


def is_error(status: str) -> bool:
    return not (status.startswith("2") or status == "429")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


# --- one simulated user ----------------------------------------------------------------------


@dataclass
class User:
    email: str
    access: str
    refresh: str
    chats: list[str]
    user_id: str
    diary: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


class Load:
    """The workload: users' loops against the API processes, counted into `stats`."""

    def __init__(self, bases: list[str], acknowledged: Acknowledged) -> None:
        self.bases = bases
        self.ws_bases = [b.replace("http://", "ws://") for b in bases]
        self.acknowledged = acknowledged
        self.stats = Stats()
        self.http = httpx.AsyncClient(
            timeout=REQUEST_SECONDS,
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
        )
        self._turn = 0

    async def aclose(self) -> None:
        await self.http.aclose()

    def _base(self) -> int:
        self._turn += 1
        return self._turn % len(self.bases)

    async def call(
        self, endpoint: str, method: str, path: str, user: User | None = None, **kwargs: Any
    ) -> httpx.Response | None:
        """One request, timed and counted; None when it did not get an answer."""
        headers = {**(user.headers if user else {}), **kwargs.pop("headers", {})}
        url = self.bases[self._base()] + path
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.fail(endpoint, type(exc).__name__, str(exc))
            return None
        status = str(response.status_code)
        self.stats.record(endpoint, status, time.perf_counter() - started)
        if is_error(status):
            self.stats.fail(endpoint, status, response.text)
        return response

    async def sign_up(self, chats: int = 2) -> User:
        email = f"soak-{uuid.uuid4().hex[:12]}@example.com"
        response = await self.call(
            "POST /api/auth/register",
            "POST",
            "/api/auth/register",
            json={"email": email, "password": PASSWORD, "name": "Soak"},
        )
        if response is None or response.status_code != 201:
            raise RuntimeError(f"could not register: {response and response.text}")
        body = response.json()
        user = User(email, body["accessToken"], body["refreshToken"], [], body["userId"])
        for _ in range(chats):
            created = await self.call("POST /api/chats", "POST", "/api/chats", user, json={})
            if created is not None and created.status_code == 201:
                user.chats.append(created.json()["id"])
        return user

    async def run_user(self, user: User, until: float, rng: random.Random) -> None:
        actions, weights = zip(*MIX, strict=True)
        while time.monotonic() < until:
            action = rng.choices(actions, weights)[0]
            try:
                await within(2 * REQUEST_SECONDS, getattr(self, action)(user, rng), action)
            except PhaseRanOut as exc:
                self.stats.fail(action, "no answer", str(exc))
            await asyncio.sleep(min(rng.expovariate(1 / THINK_SECONDS), until - time.monotonic()))

    # --- the actions ---

    async def chat(self, user: User, rng: random.Random) -> None:
        if not user.chats:
            return
        chat_id = rng.choice(user.chats)
        if rng.random() < 0.5:
            await self._chat_sse(user, chat_id, rng.choice(PROMPTS))
        else:
            await self._chat_ws(user, chat_id, rng.choice(PROMPTS))

    async def _chat_sse(self, user: User, chat_id: str, prompt: str) -> None:
        endpoint = "POST /api/messages (SSE)"
        started = time.perf_counter()
        first: float | None = None
        event, ended = "", None
        base = self.bases[self._base()]
        try:
            async with self.http.stream(
                "POST",
                f"{base}/api/messages",
                json={"chatId": chat_id, "content": prompt},
                headers={**user.headers, "Accept": "text/event-stream"},
            ) as response:
                if response.status_code != 200:
                    status = str(response.status_code)
                    await response.aread()
                    self.stats.record(endpoint, status, time.perf_counter() - started)
                    if is_error(status):
                        self.stats.fail(endpoint, status, response.text)
                    return
                async for line in response.aiter_lines():
                    if line.startswith("event: "):
                        event = line.removeprefix("event: ")
                        if event == "delta" and first is None:
                            first = time.perf_counter() - started
                    elif line.startswith("data: ") and event in ("message", "error"):
                        ended = (event, json.loads(line.removeprefix("data: ")))
        except httpx.HTTPError as exc:
            self.stats.fail(endpoint, type(exc).__name__, str(exc))
            return
        self._turn_ended(endpoint, user, chat_id, started, first, ended)

    async def _chat_ws(self, user: User, chat_id: str, prompt: str) -> None:
        endpoint = "WS /ws/chats/{id}"
        url = f"{self.ws_bases[self._base()]}/ws/chats/{chat_id}?token={user.access}"
        started = time.perf_counter()
        first: float | None = None
        try:
            async with websockets.connect(url, open_timeout=REQUEST_SECONDS) as ws:
                await ws.send(json.dumps({"type": "message", "content": prompt}))
                while True:
                    frame = json.loads(await within(TURN_SECONDS, ws.recv(), "a WS frame"))
                    if frame["type"] == "delta" and first is None:
                        first = time.perf_counter() - started
                    elif frame["type"] in ("message", "error"):
                        break
        except (OSError, websockets.WebSocketException, PhaseRanOut) as exc:
            self.stats.fail(endpoint, type(exc).__name__, str(exc))
            return
        ended = (frame["type"], frame.get("error", frame))
        self._turn_ended(endpoint, user, chat_id, started, first, ended)

    def _turn_ended(
        self,
        endpoint: str,
        user: User,
        chat_id: str,
        started: float,
        first: float | None,
        ended: tuple[str, Any] | None,
    ) -> None:
        if ended is None:
            self.stats.fail(endpoint, "no message event", "the stream ended without one")
            return
        kind, payload = ended
        if kind == "error":
            code = payload.get("code") if isinstance(payload, dict) else None
            code = code or payload.get("error", {}).get("code", "?")
            self.stats.fail(endpoint, f"error {code}", json.dumps(payload))
            return
        self.stats.record(endpoint, "200", time.perf_counter() - started)
        if first is not None:
            self.stats.first_token.append(first)
        self.acknowledged.replies[payload["id"]] = (user.email, chat_id)

    async def diary_write(self, user: User, rng: random.Random) -> None:
        text = f"Soak entry {uuid.uuid4().hex}: {rng.choice(PROMPTS)}"
        day = (datetime.now(UTC).date() - timedelta(days=rng.randrange(30))).isoformat()
        response = await self.call(
            "POST /api/diary",
            "POST",
            "/api/diary",
            user,
            json={"date": day, "text": text, "mood": rng.randint(1, 10)},
        )
        if response is not None and response.status_code == 201:
            entry = response.json()["id"]
            user.diary.append(entry)
            self.acknowledged.diary[entry] = (user.email, text)

    async def diary_read(self, user: User, rng: random.Random) -> None:
        if user.diary and rng.random() < 0.5:
            await self.call(
                "GET /api/diary/{id}", "GET", f"/api/diary/{rng.choice(user.diary)}", user
            )
        else:
            await self.call("GET /api/diary", "GET", "/api/diary", user)

    async def search(self, user: User, rng: random.Random) -> None:
        query = rng.choice(("sleep", "anxious", "walk", "work", "tomorrow"))
        await self.call("GET /api/search", "GET", "/api/search", user, params={"q": query})

    async def mood_log(self, user: User, rng: random.Random) -> None:
        score = rng.randint(1, 10)
        response = await self.call(
            "POST /api/mood", "POST", "/api/mood", user, json={"score": score, "note": "soak"}
        )
        if response is not None and response.status_code == 201:
            self.acknowledged.mood[response.json()["id"]] = (user.email, score)

    async def sensor_batch(self, user: User, rng: random.Random) -> None:
        now = datetime.now(UTC)
        samples = [
            {
                "id": uuid.uuid4().hex,
                "type": "heart_rate",
                "value": rng.randint(50, 120),
                "at": (now - timedelta(seconds=30 * i + 1)).isoformat(),
            }
            for i in range(20)
        ]
        response = await self.call(
            "POST /api/sensors", "POST", "/api/sensors", user, json={"samples": samples}
        )
        if response is not None and response.status_code == 200:
            self.acknowledged.samples[user.email].update(s["id"] for s in samples)

    async def refresh(self, user: User, rng: random.Random) -> None:
        response = await self.call(
            "POST /api/auth/refresh",
            "POST",
            "/api/auth/refresh",
            json={"refreshToken": user.refresh},
        )
        if response is not None and response.status_code == 200:
            user.access, user.refresh = (
                response.json()["accessToken"],
                response.json()["refreshToken"],
            )

    async def sign_in(self, user: User, rng: random.Random) -> None:
        response = await self.call(
            "POST /api/auth/login",
            "POST",
            "/api/auth/login",
            json={"email": user.email, "password": PASSWORD},
        )
        if response is not None and response.status_code == 200:
            user.access, user.refresh = (
                response.json()["accessToken"],
                response.json()["refreshToken"],
            )

    async def audit_read(self, user: User, rng: random.Random) -> None:
        await self.call("GET /api/users/me/audit", "GET", "/api/users/me/audit", user)

    async def export(self, user: User, rng: random.Random) -> None:
        await self.call("GET /api/users/me/export", "GET", "/api/users/me/export", user)

    async def chats_list(self, user: User, rng: random.Random) -> None:
        await self.call("GET /api/chats", "GET", "/api/chats", user)


# --- the stack: database, Redis, servers -----------------------------------------------------


async def pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(host="127.0.0.1", user="postgres", database="postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def empty_redis_db() -> int:
    """A Redis database number nobody uses now (1-14; 0 and 15 are left to others)."""
    for number in random.sample(range(1, 15), 14):
        client = redis.Redis.from_url(f"{REDIS_HOST}/{number}")
        try:
            if client.dbsize() == 0:
                return number
        finally:
            client.close()
    raise RuntimeError("no empty Redis database in 1-14")


@dataclass
class Stack:
    env: dict[str, str]
    bases: list[str]
    serve: subprocess.Popen[bytes]
    worker: subprocess.Popen[bytes]
    logs: Path

    def server_processes(self) -> dict[str, list[psutil.Process]]:
        """The API worker processes and the job worker's, by role (read now: they may restart)."""
        found: dict[str, list[psutil.Process]] = {}
        for role, pid in (("api", self.serve.pid), ("worker", self.worker.pid)):
            with contextlib.suppress(psutil.Error):
                parent = psutil.Process(pid)
                children = parent.children(recursive=True)
                found[role] = children if role == "api" and children else [parent, *children]
        return found


def stack_env(work: Path, database: str, redis_db: int, model_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIDANT_")}
    data = work / "data"
    data.mkdir()
    models = Path(sys.prefix) / "share" / "confidant-bench-models"  # shared with bench/call.py
    models.mkdir(parents=True, exist_ok=True)
    os.symlink(models, data / "models")
    env.update(
        CONFIDANT_DATA_DIR=str(data),
        CONFIDANT_DATABASE_URL=f"postgresql+asyncpg://{PG}/{database}",
        CONFIDANT_KEYSTORE_URL=f"postgresql+asyncpg://{PG}/{database}_keys",
        CONFIDANT_REDIS_URL=f"{REDIS_HOST}/{redis_db}",
        CONFIDANT_JOBS_WORKER="external",
        CONFIDANT_JWT_SECRET="soak-benchmark-jwt-secret-" + "x" * 32,
        CONFIDANT_LLM_MODEL=str(model_dir),
        CONFIDANT_LLM_MAX_NEW_TOKENS=str(MAX_NEW_TOKENS),
        CONFIDANT_LLM_MAX_QUEUE="256",
        CONFIDANT_LOGIN_RATE_PER_IP="100000",  # every simulated user comes from 127.0.0.1
        HF_HUB_OFFLINE="1",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def confidant(env: dict[str, str], *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "confidant", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextlib.contextmanager
def running(env: dict[str, str], work: Path) -> Iterator[Stack]:
    port = free_port()
    logs = work / "logs"
    logs.mkdir()
    with (
        (logs / "worker.log").open("ab") as worker_log,
        (logs / "serve.log").open("ab") as serve_log,
    ):
        worker = subprocess.Popen(
            [sys.executable, "-m", "confidant", "worker"],
            env=env,
            cwd=ROOT,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        serve = subprocess.Popen(
            [sys.executable, "-m", "confidant", "serve", "--workers", "2", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=serve_log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Stack(env, [f"http://127.0.0.1:{port}"], serve, worker, logs)
    finally:
        for process in (serve, worker):
            process.terminate()
        for process in (serve, worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- measuring -------------------------------------------------------------------------------


class MemoryWatch:
    """RSS of the server processes every few seconds."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.samples: list[tuple[float, dict[str, float]]] = []
        self.started = time.monotonic()

    def sample(self) -> None:
        rss: dict[str, float] = {}
        for role, processes in self.stack.server_processes().items():
            total = 0
            for process in processes:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            rss[role] = total / 2**20
        self.samples.append((time.monotonic() - self.started, rss))

    async def run(self, until: float) -> None:
        while time.monotonic() < until:
            self.sample()
            await asyncio.sleep(MEMORY_EVERY_SECONDS)
        self.sample()

    def report(self) -> bool:
        print("\nserver memory (RSS, MiB) over time:")
        print(f"{'t (s)':>8} {'2 API processes':>16} {'worker':>8}")
        step = max(1, len(self.samples) // 12)
        for at, rss in self.samples[::step] + self.samples[-1:]:
            print(f"{at:>8.0f} {rss.get('api', 0):>16.0f} {rss.get('worker', 0):>8.0f}")
        after = [(at, rss) for at, rss in self.samples if at >= WARM_UP_SECONDS]
        if len(after) < 4:
            print("memory growth: too short a run to measure after warm-up")
            return True
        ok = True
        window = max(1, len(after) // 6)
        for role in ("api", "worker"):
            first = statistics.mean(r.get(role, 0) for _, r in after[:window])
            last = statistics.mean(r.get(role, 0) for _, r in after[-window:])
            growth = (last - first) / first if first else 0.0
            verdict = "meets" if growth <= TARGET_MEMORY_GROWTH else "MISSES"
            print(
                f"memory growth after warm-up, {role}: {first:.0f} -> {last:.0f} MiB, "
                f"{100 * growth:+.1f} % (target <= {100 * TARGET_MEMORY_GROWTH:.0f} %): {verdict}"
            )
            ok = ok and growth <= TARGET_MEMORY_GROWTH
        return ok


def report(stats: Stats, title: str) -> tuple[int, int]:
    """Per-endpoint throughput and latency, and errors; (5xx, other errors)."""
    seconds = stats.seconds
    print(f"\n{title}: {seconds:.0f} s")
    print(f"{'endpoint':>30} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8}  statuses")
    five, other = 0, 0
    for endpoint in sorted(stats.statuses):
        latencies = stats.latencies.get(endpoint, [])
        statuses = stats.statuses[endpoint]
        count = sum(statuses.values())
        p50 = 1000 * statistics.median(latencies) if latencies else float("nan")
        p99 = 1000 * percentile(latencies, 0.99) if latencies else float("nan")
        shown = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
        print(f"{endpoint:>30} {count:>7} {count / seconds:>7.2f} {p50:>8.0f} {p99:>8.0f}  {shown}")
        for status, n in statuses.items():
            if status.startswith("5"):
                five += n
            elif is_error(status):
                other += n
    if stats.first_token:
        ttft = stats.first_token
        print(
            f"{'chat time to first token':>30} {len(ttft):>7} {'':>7} "
            f"{1000 * statistics.median(ttft):>8.0f} {1000 * percentile(ttft, 0.99):>8.0f}"
        )
    limited = sum(n for s in stats.statuses.values() for code, n in s.items() if code == "429")
    print(f"5xx: {five} (target 0); other errors: {other} (target 0); intended 429s: {limited}")
    for failure in stats.failures[:10]:
        print(f"  {failure}")
    return five, other


async def verify_writes(bases: list[str], users: list[User], acknowledged: Acknowledged) -> int:
    """Read back every acknowledged write; the number missing."""
    by_email = {u.email: u for u in users}
    missing: list[str] = []
    async with httpx.AsyncClient(base_url=bases[0], timeout=REQUEST_SECONDS) as http:
        for entry, (email, text) in acknowledged.diary.items():
            got = await http.get(f"/api/diary/{entry}", headers=by_email[email].headers)
            if got.status_code != 200 or got.json()["text"] != text:
                missing.append(f"diary {entry}: {got.status_code}")
        for entry, (email, score) in acknowledged.mood.items():
            got = await http.get(f"/api/mood/{entry}", headers=by_email[email].headers)
            if got.status_code != 200 or got.json()["score"] != score:
                missing.append(f"mood {entry}: {got.status_code}")
        stored_replies: set[str] = set()
        for user in users:
            for chat in user.chats:
                stored_replies |= await message_ids(http, user, chat)
            if acknowledged.samples.get(user.email):
                document = await http.get("/api/users/me/export", headers=user.headers)
                stored = {s["id"] for s in document.json()["sensors"]["samples"]}
                for sample in acknowledged.samples[user.email] - stored:
                    missing.append(f"sensor sample {sample}")
        missing += [f"reply {r}" for r in acknowledged.replies if r not in stored_replies]
    total = acknowledged.count()
    verdict = "meets" if not missing else "MISSES"
    print(
        f"\nacknowledged writes read back: {total - len(missing)} of {total} "
        f"({len(acknowledged.diary)} diary, {len(acknowledged.mood)} mood, "
        f"{len(acknowledged.replies)} chat replies, "
        f"{sum(len(s) for s in acknowledged.samples.values())} sensor samples); "
        f"missing {len(missing)} (target 0): {verdict}"
    )
    for gone in missing[:10]:
        print(f"  {gone}")
    return len(missing)


async def message_ids(http: httpx.AsyncClient, user: User, chat: str) -> set[str]:
    ids: set[str] = set()
    cursor: str | None = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = await http.get(f"/api/chats/{chat}/messages", params=params, headers=user.headers)
        body = page.json()
        ids |= {m["id"] for m in body["items"]}
        cursor = body.get("nextCursor")
        if not cursor:
            return ids


async def fresh_tokens(load: Load, users: list[User]) -> None:
    """Sign every user in again: a long run outlives the access tokens of the first."""
    for user in users:
        await load.sign_in(user, random.Random())


# --- the phases ------------------------------------------------------------------------------


async def soak(
    stack: Stack, users: int, minutes: float, acknowledged: Acknowledged
) -> tuple[bool, list[User]]:
    load = Load(stack.bases, acknowledged)
    try:
        people = [await load.sign_up() for _ in range(users)]
        load.stats = Stats()  # the sign-ups are not part of the measured mix
        memory = MemoryWatch(stack)
        until = time.monotonic() + 60 * minutes
        rngs = [random.Random(i) for i in range(users)]
        await asyncio.gather(
            memory.run(until),
            *(load.run_user(p, until, r) for p, r in zip(people, rngs, strict=True)),
        )
        load.stats.ended = time.monotonic()
        five, other = report(load.stats, f"mixed workload, {users} simulated users")
        memory_ok = memory.report()
        await fresh_tokens(load, people)
        return five == 0 and other == 0 and memory_ok, people
    finally:
        await load.aclose()


async def knee(stack: Stack, step_seconds: float, acknowledged: Acknowledged) -> list[User]:
    """Step the users up until chat p99 (time to the first token) passes the bound."""
    print(
        f"\nknee: users stepped up, {step_seconds:.0f} s each, "
        f"until chat p99 > {KNEE_P99_SECONDS:.0f} s"
    )
    print(f"{'users':>6} {'chat turns':>11} {'TTFT p50 ms':>12} {'TTFT p99 ms':>12} {'errors':>7}")
    load = Load(stack.bases, acknowledged)
    people: list[User] = []
    found = None
    try:
        for users in KNEE_STEPS:
            people += [await load.sign_up() for _ in range(users - len(people))]
            load.stats = Stats()
            until = time.monotonic() + step_seconds
            rngs = [random.Random(1000 + i) for i in range(users)]
            await asyncio.gather(
                *(load.run_user(p, until, r) for p, r in zip(people, rngs, strict=True))
            )
            ttft = load.stats.first_token
            errors = sum(
                n for s in load.stats.statuses.values() for c, n in s.items() if is_error(c)
            )
            p50 = 1000 * statistics.median(ttft) if ttft else float("nan")
            p99 = percentile(ttft, 0.99) if ttft else float("inf")
            print(f"{users:>6} {len(ttft):>11} {p50:>12.0f} {1000 * p99:>12.0f} {errors:>7}")
            if p99 > KNEE_P99_SECONDS:
                found = users
                break
        if found is None:
            print(
                f"knee: chat p99 stayed under {KNEE_P99_SECONDS:.0f} s up to {KNEE_STEPS[-1]} users"
            )
        else:
            print(f"knee: chat p99 passes {KNEE_P99_SECONDS:.0f} s at {found} simulated users")
        await fresh_tokens(load, people)
        return people
    finally:
        await load.aclose()


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="confidant-soak-"))
    database = f"confidant_soak_{uuid.uuid4().hex[:10]}"
    redis_db = empty_redis_db()
    model_dir = build_tiny_chat_model(work / "tiny-model", context_window=2048)
    for name in (database, f"{database}_keys"):
        await pg_admin(f'CREATE DATABASE "{name}"')
    print(f"PostgreSQL databases {database}(_keys), Redis db {redis_db}, logs in {work / 'logs'}")
    env = stack_env(work, database, redis_db, model_dir)
    acknowledged = Acknowledged()
    users: list[User] = []
    verdicts: dict[str, bool] = {}
    try:
        migrated = confidant(env, "migrate", timeout=300)
        if migrated.returncode != 0:
            raise RuntimeError(migrated.stderr)
        confidant(env, "ledger", "verify", timeout=300)  # makes DATA_DIR's keys before the servers
        with running(env, work) as stack:
            await wait_ready(stack.bases[0], 600)
            soak_bound = 60 * args.minutes + 4 * REQUEST_SECONDS + 120
            result = await phase(
                "soak", soak_bound, soak(stack, args.users, args.minutes, acknowledged)
            )
            if result is not None:
                verdicts["soak: no 5xx or errors, memory"], soaked = result
                users += soaked
            if args.knee_step_seconds > 0:
                bound = len(KNEE_STEPS) * (args.knee_step_seconds + 2 * REQUEST_SECONDS) + 300
                stepped = await phase(
                    "knee", bound, knee(stack, args.knee_step_seconds, acknowledged)
                )
                users += stepped or []
            missing = await phase("read-back", 900, verify_writes(stack.bases, users, acknowledged))
            verdicts["acknowledged writes all read back"] = missing == 0
            await asyncio.sleep(5)  # the ledger sequencer's last round
        verified = confidant(env, "ledger", "verify", "--rows", timeout=900)
        said = verified.stdout.strip() or verified.stderr.strip()[-500:]
        print(f"\nconfidant ledger verify --rows: {said}")
        verdicts["ledger verify --rows"] = verified.returncode == 0
    finally:
        for name in (database, f"{database}_keys"):
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        client = redis.Redis.from_url(f"{REDIS_HOST}/{redis_db}")
        client.flushdb()
        client.close()
    print("\nverdicts:")
    for name, ok in verdicts.items():
        print(f"  {name}: {'meets' if ok else 'MISSES'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak")
    parser.add_argument("--users", type=int, default=8, help="simulated users in the soak")
    parser.add_argument(
        "--knee-step-seconds", type=float, default=60.0, help="each knee step (0: no knee)"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
