"""The news feed: every configured feed read concurrently, merged, cached as a whole.

One refresh at a time: requests arriving while it runs wait for it and share its
result, so a burst of readers never multiplies the fetches."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain

import httpx

from confidant.config import Settings
from confidant.news.feeds import (
    USER_AGENT,
    FeedError,
    NewsItem,
    is_web_url,
    parse_feed,
    public_location,
    read_location,
)
from confidant.news.schemas import FeedStatusOut, NewsItemOut, NewsOut

log = logging.getLogger("confidant.news")


@dataclass(frozen=True)
class FeedReport:
    """How one configured feed fared in the last refresh (`location` as shown publicly)."""

    location: str
    ok: bool
    error: str | None
    items: int
    stale: bool


@dataclass(frozen=True)
class NewsSnapshot:
    items: list[NewsItem]
    feeds: list[FeedReport]
    fetched_at: datetime


@dataclass(frozen=True)
class _Outcome:
    report: FeedReport
    items: list[NewsItem]


class NewsService:
    def __init__(self, settings: Settings) -> None:
        self._locations = list(settings.news_feeds)
        self._cache_seconds = settings.news_cache_seconds
        self._timeout = settings.news_fetch_timeout_seconds
        self._max_items = settings.news_max_items
        self._max_bytes = settings.news_max_feed_bytes
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(settings.news_fetch_timeout_seconds),
            headers={"User-Agent": USER_AGENT},
        )
        self._lock = asyncio.Lock()
        self._snapshot: NewsSnapshot | None = None
        self._refreshed_at = 0.0  # time.monotonic() when _snapshot was made
        self._last_good: dict[str, list[NewsItem]] = {}

    @property
    def max_items(self) -> int:
        return self._max_items

    async def latest(self) -> NewsSnapshot:
        """The cached aggregate, refreshed first when older than the cache period."""
        asked_at = time.monotonic()
        if self._snapshot is not None and self._is_fresh(asked_at):
            return self._snapshot
        async with self._lock:
            # A refresh that finished while we waited for the lock is as new as we need.
            if self._snapshot is None or not (
                self._refreshed_at >= asked_at or self._is_fresh(asked_at)
            ):
                self._snapshot = await self._refresh()
                self._refreshed_at = time.monotonic()
            return self._snapshot

    def _is_fresh(self, now: float) -> bool:
        return now - self._refreshed_at < self._cache_seconds

    async def close(self) -> None:
        await self._client.aclose()

    async def _refresh(self) -> NewsSnapshot:
        outcomes = await asyncio.gather(*(self._load(where) for where in self._locations))
        return NewsSnapshot(
            items=merge((outcome.items for outcome in outcomes), self._max_items),
            feeds=[outcome.report for outcome in outcomes],
            fetched_at=datetime.now(UTC),
        )

    async def _load(self, location: str) -> _Outcome:
        """Never raises (but for cancellation): a failing feed becomes a report."""
        try:
            body = await read_location(location, self._client, self._max_bytes, self._timeout)
            feed = await asyncio.to_thread(parse_feed, location, body)
        except FeedError as error:
            return self._failed(location, str(error))
        except Exception as error:  # one broken feed must not take the others down
            log.debug("unexpected error reading news feed %s", location, exc_info=True)
            return self._failed(location, f"unexpected error: {type(error).__name__}: {error}")
        self._last_good[location] = feed.items
        report = FeedReport(public_location(location), True, None, len(feed.items), False)
        return _Outcome(report, feed.items)

    def _failed(self, location: str, error: str) -> _Outcome:
        """Report the failure; keep serving the feed's last good items, marked stale."""
        kept = self._last_good.get(location, [])
        shown = public_location(location)
        logged = shown if is_web_url(location) else location  # the operator needs the path
        log.warning(
            "news feed %s failed: %s%s", logged, error, " (serving its last items)" if kept else ""
        )
        return _Outcome(FeedReport(shown, False, error, len(kept), bool(kept)), kept)


def merge(feeds: Iterable[list[NewsItem]], limit: int) -> list[NewsItem]:
    """Newest first (undated last, in feed order), one item per link, at most `limit`."""
    merged: list[NewsItem] = []
    seen: set[str] = set()
    for item in sorted(chain.from_iterable(feeds), key=_newest_first):
        if item.link in seen:
            continue
        seen.add(item.link)
        merged.append(item)
        if len(merged) == limit:
            break
    return merged


def _newest_first(item: NewsItem) -> tuple[bool, float]:
    if item.published is None:
        return (True, 0.0)
    return (False, -item.published.timestamp())


def news_out(snapshot: NewsSnapshot, limit: int) -> NewsOut:
    """The first `limit` items of the snapshot, and every feed's report."""
    return NewsOut(
        items=[
            NewsItemOut(
                title=item.title,
                link=item.link,
                summary=item.summary,
                published=item.published,
                source=item.source,
            )
            for item in snapshot.items[:limit]
        ],
        feeds=[
            FeedStatusOut(
                location=feed.location,
                ok=feed.ok,
                error=feed.error,
                items=feed.items,
                stale=feed.stale,
            )
            for feed in snapshot.feeds
        ],
        fetched_at=snapshot.fetched_at,
    )
