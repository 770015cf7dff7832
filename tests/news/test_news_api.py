"""GET /api/news end to end: local files and a real HTTP server, failures reported without
breaking the other feeds, sanitising, caching, one shared refresh, stale items, limits."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from confidant import __version__
from confidant.news import feeds
from tests.helpers import assert_error, free_port
from tests.news.conftest import ATOM, RSS, FeedServer, NewsApi

MERGED_LINKS = [
    "https://atom.example.com/hydration",  # 2024-01-03 09:30Z
    "https://news.example.org/sleep",  # 2024-01-02 07:00Z (08:00 +0100)
    "https://news.example.org/walking",  # 2024-01-01 12:00Z, in both feeds
    "https://atom.example.com/older",  # 2024-01-01 01:00Z (2023-12-31 23:00 -0200)
    "https://news.example.org/undated",  # no date: last
]


def links(body: dict[str, Any]) -> list[str]:
    return [item["link"] for item in body["items"]]


def report_of(body: dict[str, Any], location: str) -> dict[str, Any]:
    shown = feeds.public_location(location)
    [report] = [feed for feed in body["feeds"] if feed["location"] == shown]
    return dict(report)


async def news(http: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await http.get("/api/news", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_local_files_merge_newest_first_offline(news_api: NewsApi) -> None:
    """A plain path and a file:// URL; nothing but the files is needed."""
    async with news_api([str(RSS), ATOM.as_uri()]) as http:
        body = await news(http)
    assert set(body) == {"items", "feeds", "fetchedAt"}
    assert links(body) == MERGED_LINKS
    first, sleep, walking = body["items"][:3]
    assert first == {
        "title": "Hydration basics",
        "link": "https://atom.example.com/hydration",
        "summary": "<p>Drink <b>water</b>.</p>",
        "published": "2024-01-03T09:30:00Z",
        "source": "Health Desk",
    }
    assert sleep["published"] == "2024-01-02T07:00:00Z"
    assert sleep["title"] == "Sleep & mood: new study"
    assert walking["source"] == "Wellbeing Weekly & Friends"  # the first feed's copy wins
    assert walking["title"] == "Walking every day"
    assert body["items"][-1]["published"] is None
    assert body["feeds"] == [
        {"location": f"file:{RSS.name}", "ok": True, "error": None, "items": 3, "stale": False},
        {"location": f"file:{ATOM.name}", "ok": True, "error": None, "items": 3, "stale": False},
    ]
    assert body["fetchedAt"].endswith("Z") or body["fetchedAt"].endswith("+00:00")


async def test_hostile_markup_and_links_are_removed(news_api: NewsApi) -> None:
    async with news_api([str(RSS)]) as http:
        body = await news(http)
    titles = [item["title"] for item in body["items"]]
    assert titles == ["Sleep & mood: new study", "Walking every day", "An undated note"]
    summary = body["items"][0]["summary"]
    for hostile in ("<script", "alert", "onerror", "onclick", "javascript:", "<img", "target="):
        assert hostile not in summary, summary
    assert "<p>Good <strong>sleep</strong> helps.</p>" in summary
    assert (
        '<a href="https://news.example.org/more" rel="noopener nofollow noreferrer">read more</a>'
        in summary
    )
    for item in body["items"]:
        assert item["link"].startswith("https://"), item


async def test_http_feed_is_cached_and_names_us(news_api: NewsApi, feed_server: FeedServer) -> None:
    url = feed_server.serve("/rss.xml", RSS.read_bytes())
    async with news_api([url]) as http:
        first = await news(http)
        second = await news(http)
    assert feed_server.hits["/rss.xml"] == 1
    assert second == first
    assert links(first) == [link for link in MERGED_LINKS if "news.example.org" in link]
    assert feed_server.user_agents == [f"Confidant/{__version__} (health news reader)"]


async def test_zero_cache_seconds_fetches_every_time(
    news_api: NewsApi, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/atom.xml", ATOM.read_bytes())
    async with news_api([url], news_cache_seconds=0) as http:
        first = await news(http)
        second = await news(http)
    assert feed_server.hits["/atom.xml"] == 2
    assert second["fetchedAt"] > first["fetchedAt"]


async def test_concurrent_requests_share_one_fetch(
    news_api: NewsApi, feed_server: FeedServer
) -> None:
    """With no cache at all, the requests that arrive during a refresh still share it."""
    url = feed_server.serve("/slow.xml", ATOM.read_bytes(), delay=0.5)
    async with news_api([url], news_cache_seconds=0) as http:
        bodies = await asyncio.gather(*(news(http) for _ in range(6)))
    assert feed_server.hits["/slow.xml"] == 1
    assert all(body == bodies[0] for body in bodies)
    assert len(bodies[0]["items"]) == 3


async def test_feeds_are_fetched_concurrently(news_api: NewsApi, feed_server: FeedServer) -> None:
    slow = [feed_server.serve(f"/slow-{n}.xml", ATOM.read_bytes(), delay=0.6) for n in range(4)]
    async with news_api(slow) as http:
        started = asyncio.get_running_loop().time()
        body = await news(http)
        elapsed = asyncio.get_running_loop().time() - started
    assert [feed["ok"] for feed in body["feeds"]] == [True] * 4
    assert elapsed < 4 * 0.6, elapsed  # one after another would take at least 2.4 s


def failing_feeds(server: FeedServer, tmp_path: Path) -> dict[str, str]:
    """Every way a configured feed can fail: location -> what its error must say."""
    oversize = b"<rss version='2.0'><channel>" + b"<!-- padding -->" * 1024 + b"</channel></rss>"
    big_file = tmp_path / "big.xml"
    big_file.write_bytes(oversize)
    server.serve("/new-home.xml", RSS.read_bytes())
    return {
        f"http://127.0.0.1:{free_port()}/closed.xml": "ConnectError",
        server.url("/missing.xml"): "HTTP 404",
        server.serve("/error.xml", b"oops", status=500): "HTTP 500",
        server.serve(
            "/moved.xml", status=302, headers={"Location": "/new-home.xml"}
        ): f"redirect to {server.url('/new-home.xml')} not followed",
        server.serve("/broken.xml", b"<?xml version='1.0'?><rss><<<>>>"): "not a readable feed",
        server.serve("/page.html", b"<html><body><p>hello</p></body></html>"): (
            "not a readable feed"
        ),
        server.serve("/big.xml", oversize): "larger than 8192 bytes",
        server.serve("/big-stream.xml", oversize, declare_length=False): "larger than 8192 bytes",
        server.serve("/slow.xml", RSS.read_bytes(), delay=4): "timed out",
        # each chunk well within the read timeout, the whole past the feed's deadline
        server.serve("/trickle.xml", RSS.read_bytes(), trickle=0.1): "timed out after 2 s",
        str(big_file): "larger than 8192 bytes",
        str(tmp_path / "absent.xml"): "could not read file",
        "ftp://127.0.0.1/feed.xml": "unsupported scheme 'ftp'",
    }


async def test_failing_feeds_are_reported_and_the_rest_served(
    news_api: NewsApi,
    feed_server: FeedServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = failing_feeds(feed_server, tmp_path)
    feeds = [str(ATOM), *failures]
    settings = {"news_max_feed_bytes": 8192, "news_fetch_timeout_seconds": 2}
    with caplog.at_level(logging.WARNING, logger="confidant.news"):
        async with news_api(feeds, **settings) as http:
            body = await news(http)
    assert [item["source"] for item in body["items"]] == ["Health Desk"] * 3
    assert report_of(body, str(ATOM))["ok"] is True
    for location, reason in failures.items():
        report = report_of(body, location)
        assert report["ok"] is False, report
        assert reason in report["error"], report
        assert (report["items"], report["stale"]) == (0, False)
    warned = [r.getMessage() for r in caplog.records if r.name == "confidant.news"]
    assert len(warned) == len(failures), warned
    assert feed_server.hits["/new-home.xml"] == 0  # the redirect was not followed


async def test_stale_items_are_served_while_a_feed_fails(
    news_api: NewsApi, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/rss.xml", RSS.read_bytes())
    async with news_api([url, str(ATOM)], news_cache_seconds=0) as http:
        good = await news(http)
        feed_server.serve("/rss.xml", b"down for maintenance", status=503)
        failing = await news(http)
        feed_server.serve("/rss.xml", RSS.read_bytes())
        recovered = await news(http)
    assert links(failing) == links(good) == MERGED_LINKS
    assert report_of(failing, url) == {
        "location": url,
        "ok": False,
        "error": "HTTP 503 Service Unavailable",
        "items": 3,
        "stale": True,
    }
    assert report_of(recovered, url)["stale"] is False
    assert report_of(recovered, url)["ok"] is True
    assert feed_server.hits["/rss.xml"] == 3


@pytest.mark.slow
async def test_url_credentials_are_not_shown(news_api: NewsApi, feed_server: FeedServer) -> None:
    feed_server.serve("/private.xml", ATOM.read_bytes())
    secret = f"http://reader:s3cret@127.0.0.1:{feed_server.port}/private.xml"
    async with news_api([secret]) as http:
        response = await http.get("/api/news")
    assert response.status_code == 200, response.text
    assert "s3cret" not in response.text
    assert response.json()["feeds"][0]["location"] == feed_server.url("/private.xml")
    assert len(response.json()["items"]) == 3


async def test_no_feeds_configured(news_api: NewsApi) -> None:
    async with news_api([]) as http:
        body = await news(http)
    assert (body["items"], body["feeds"]) == ([], [])
    assert body["fetchedAt"]


async def test_limit_and_max_items(news_api: NewsApi) -> None:
    async with news_api([str(RSS), str(ATOM)], news_max_items=4) as http:
        capped = await news(http)
        two = await news(http, limit=2)
        four = await news(http, limit=4)
    assert links(capped) == MERGED_LINKS[:4]
    assert links(two) == MERGED_LINKS[:2]
    assert links(four) == MERGED_LINKS[:4]


async def test_bad_limits_are_refused(news_api: NewsApi) -> None:
    """Below 1 and not a whole number (FastAPI's checks), above news_max_items (ours)."""
    async with news_api([str(ATOM)], news_max_items=4) as http:
        for limit in ["0", "-1", "abc", "1.5", "5", "10000"]:
            response = await http.get("/api/news", params={"limit": limit})
            error = assert_error(response, 422, "validation_error")
            assert error["details"][0]["field"] == "query.limit", (limit, error)
