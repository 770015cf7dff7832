"""A steady load of writes and reads on a live server, every answer kept with its time,
for the fault tests to judge what clients saw before, during and after a fault."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.helpers import Account

# The longest any one request may take while a dependency is down: the service gives
# up on a database within its connect and pool timeouts (5 s each by default), on Redis
# within 2 s. Anything longer is a hang.
REQUEST_LIMIT_SECONDS = 8.0


@dataclass(frozen=True)
class Answer:
    action: str
    started: float  # time.monotonic()
    elapsed: float
    status: int  # 0: no HTTP answer at all (the connection failed or timed out)
    code: str | None  # the error code, for an error in the one shape
    shaped: bool  # a 4xx/5xx body is exactly {"error": {code, message, details}}


def _shape(response: httpx.Response) -> tuple[str | None, bool]:
    if response.status_code < 400:
        return None, True
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return None, False
    shaped = isinstance(error, dict) and set(error) == {"code", "message", "details"}
    return (error.get("code") if shaped else None), shaped and bool(error.get("message"))


@dataclass
class Load:
    """Writers signing in, keeping a diary, logging moods and reading them back."""

    url: str
    account: Account
    answers: list[Answer] = field(default_factory=list)
    diary_ids: list[str] = field(default_factory=list)
    mood_ids: list[str] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, workers: int) -> None:
        timeout = httpx.Timeout(REQUEST_LIMIT_SECONDS * 2)
        async with httpx.AsyncClient(base_url=self.url, timeout=timeout) as http:
            await asyncio.gather(*(self._worker(http, number) for number in range(workers)))

    def stop(self) -> None:
        self._stop.set()

    async def _worker(self, http: httpx.AsyncClient, number: int) -> None:
        actions = itertools.cycle(("diary", "mood", "sign_in", "read"))
        for serial in itertools.count():
            if self._stop.is_set():
                return
            action = next(actions)
            started = time.monotonic()
            try:
                response = await self._send(http, action, f"{number}-{serial}")
            except httpx.TransportError as error:
                failed = Answer(
                    action, started, time.monotonic() - started, 0, type(error).__name__, False
                )
                self.answers.append(failed)
                await asyncio.sleep(0.05)
                continue
            elapsed, (code, shaped) = time.monotonic() - started, _shape(response)
            status = response.status_code
            self.answers.append(Answer(action, started, elapsed, status, code, shaped))
            if response.status_code == 201:
                kept = self.diary_ids if action == "diary" else self.mood_ids
                kept.append(response.json()["id"])
            if response.status_code >= 500:
                await asyncio.sleep(0.05)  # a client backing off a little

    async def _send(self, http: httpx.AsyncClient, action: str, tag: str) -> httpx.Response:
        headers = self.account.headers
        if action == "diary":
            entry = {"date": "2026-08-01", "text": f"load entry {tag}", "mood": 6}
            return await http.post("/api/diary", headers=headers, json=entry)
        if action == "mood":
            return await http.post("/api/mood", headers=headers, json={"score": 7, "note": tag})
        if action == "sign_in":
            credentials = {"email": self.account.email, "password": self.account.password}
            return await http.post("/api/auth/login", json=credentials)
        return await http.get("/api/diary", headers=headers, params={"limit": 5})

    def summary(self, start: float = 0.0, end: float = float("inf")) -> dict[str, int]:
        """How many answers of each action, status and code: for failure messages."""
        counts: dict[str, int] = {}
        for a in self.between(start, end):
            key = f"{a.action} {a.status} {a.code or ''}".strip()
            counts[key] = counts.get(key, 0) + 1
        return counts

    def between(self, start: float, end: float) -> list[Answer]:
        return [answer for answer in self.answers if start <= answer.started < end]

    async def until(self, predicate: Any, limit: float = 60, what: str = "") -> float:
        """Wait for `predicate()`; the moment it held."""
        deadline = time.monotonic() + limit
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}: {self.summary()}"
            await asyncio.sleep(0.02)
        return time.monotonic()

    def first_success(self, action: str, after: float) -> float | None:
        """When the first request of `action` sent after `after` succeeded (its answer)."""
        times = [
            a.started + a.elapsed
            for a in self.answers
            if a.action == action and a.started >= after and 200 <= a.status < 300
        ]
        return min(times) if times else None


def unshaped_or_crashed(answers: list[Answer]) -> list[Answer]:
    """Answers no client should ever see: no answer, a 500 (a bug), a status above 503,
    or an error outside the one shape."""
    return [
        a for a in answers if a.status == 0 or a.status == 500 or a.status > 503 or not a.shaped
    ]


def too_slow(answers: list[Answer]) -> list[Answer]:
    return [a for a in answers if a.elapsed > REQUEST_LIMIT_SECONDS]


def assert_answered_cleanly(answers: list[Answer], log_tail: str) -> None:
    """Every answer in the one shape, no crash, none slower than REQUEST_LIMIT_SECONDS."""
    bad = unshaped_or_crashed(answers)
    assert not bad, (bad[:10], log_tail)
    assert not too_slow(answers), too_slow(answers)[:10]
