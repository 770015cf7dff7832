"""Fixed-window rate limits and failure lockouts: Redis when configured, in process otherwise."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator
from typing import Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from confidant.kit.errors import RateLimiterUnavailable

log = logging.getLogger("confidant.ratelimit")


class Limiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> int:
        """Count one attempt; seconds until allowed again if over `limit`, else 0."""

    async def add_failure(self, key: str, max_failures: int, lockout: int) -> int:
        """Count one failure; locks `key` for `lockout` seconds at `max_failures`.

        Returns the seconds the key is now locked for (0 while under the limit)."""

    async def locked_for(self, key: str) -> int:
        """Seconds left on a lockout of `key`, 0 when not locked."""

    async def clear_failures(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryLimiter:
    """For one process (the embedded default); state is lost on restart.

    No awaits happen between reading and writing a counter, so no lock is needed."""

    MAX_KEYS = 100_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, float, int]] = {}  # key: (start, window, count)
        self._locks: dict[str, float] = {}

    def _increment(self, key: str, window: int) -> tuple[float, int]:
        now = time.monotonic()
        started, _, count = self._windows.get(key, (now, window, 0))
        if now - started >= window:
            started, count = now, 0
        if len(self._windows) >= self.MAX_KEYS:
            self._prune(now)
        self._windows[key] = (started, window, count + 1)
        return started, count + 1

    def _prune(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < v[1]}
        self._locks = {k: until for k, until in self._locks.items() if until > now}

    async def hit(self, key: str, limit: int, window: int) -> int:
        started, count = self._increment(key, window)
        if count > limit:
            return max(1, math.ceil(started + window - time.monotonic()))
        return 0

    async def add_failure(self, key: str, max_failures: int, lockout: int) -> int:
        _, count = self._increment(f"failures:{key}", lockout)
        if count < max_failures:
            return 0
        self._windows.pop(f"failures:{key}", None)
        self._locks[key] = time.monotonic() + lockout
        return lockout

    async def locked_for(self, key: str) -> int:
        left = self._locks.get(key, 0.0) - time.monotonic()
        return max(1, math.ceil(left)) if left > 0 else 0

    async def clear_failures(self, key: str) -> None:
        self._windows.pop(f"failures:{key}", None)

    async def close(self) -> None:
        return None


@contextlib.contextmanager
def _failing_closed() -> Iterator[None]:
    """Redis down or too slow: the limits cannot be checked, so the attempt is refused
    (503) rather than let through unlimited."""
    try:
        yield
    except (RedisError, OSError) as error:
        log.warning("rate limiter unavailable: %s: %s", type(error).__name__, error)
        raise RateLimiterUnavailable() from error


class RedisLimiter:
    """Shared by every worker and instance; counters expire on their own. Fails closed:
    while Redis cannot be reached every call raises `RateLimiterUnavailable`."""

    def __init__(self, url: str, timeout: float = 2.0, prefix: str = "confidant:rl:") -> None:
        # One immediate retry (a pooled connection Redis closed on a restart), not the
        # client's default backoff, which would hold a sign-in for seconds.
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), 1),
        )
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window: int) -> int:
        name = self._prefix + "hit:" + key
        with _failing_closed():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window, nx=True)
                pipe.ttl(name)
                count, _, ttl = await pipe.execute()
        return max(1, int(ttl)) if int(count) > limit else 0

    async def add_failure(self, key: str, max_failures: int, lockout: int) -> int:
        name = self._prefix + "failures:" + key
        with _failing_closed():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, lockout, nx=True)
                count, _ = await pipe.execute()
            if int(count) < max_failures:
                return 0
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._prefix + "lock:" + key, 1, ex=lockout)
                pipe.delete(name)
                await pipe.execute()
        return lockout

    async def locked_for(self, key: str) -> int:
        with _failing_closed():
            ttl = int(await self._redis.ttl(self._prefix + "lock:" + key))
        return max(ttl, 0)

    async def clear_failures(self, key: str) -> None:
        with _failing_closed():
            await self._redis.delete(self._prefix + "failures:" + key)

    async def close(self) -> None:
        await self._redis.aclose()


def make_limiter(redis_url: str | None, timeout: float = 2.0) -> Limiter:
    """`timeout`: seconds a Redis call may take before the attempt is refused."""
    return RedisLimiter(redis_url, timeout) if redis_url else MemoryLimiter()
