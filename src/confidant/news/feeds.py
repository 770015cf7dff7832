"""Reading, parsing and sanitising one RSS or Atom feed (no HTTP-framework code here).

Only the locations the operator configured are ever read: http(s) URLs, `file://` URLs
and local paths. Redirects are not followed and every body is capped, so a feed can
neither send us somewhere else nor fill the memory.
"""

from __future__ import annotations

import asyncio
import html
import io
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.request import url2pathname

import feedparser
import httpx
import nh3

from confidant import __version__

USER_AGENT = f"Confidant/{__version__} (health news reader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
WEB_SCHEMES = frozenset({"http", "https"})

TITLE_MAX_CHARS = 300
SUMMARY_MAX_CHARS = 2000
LINK_MAX_CHARS = 2048
UNTITLED = "Untitled"
ELLIPSIS = "…"

SUMMARY_TAGS = {"p", "br", "a", "em", "strong", "b", "i", "ul", "ol", "li", "blockquote"}
LINK_REL = "noopener nofollow noreferrer"


class FeedError(Exception):
    """A feed that could not be used; the message is meant for the operator."""


@dataclass(frozen=True)
class NewsItem:
    title: str
    link: str
    summary: str
    published: datetime | None
    source: str


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    items: list[NewsItem]


def is_web_url(location: str) -> bool:
    return urlsplit(location).scheme.lower() in WEB_SCHEMES


def public_location(location: str) -> str:
    """The location as shown to anyone: a URL loses its user:password@ part, a local file
    shows only its name (the server's directories are nobody's business)."""
    parts = urlsplit(location)
    if parts.scheme.lower() not in WEB_SCHEMES:
        try:
            return f"file:{local_path(location).name}"
        except FeedError:
            return location
    if "@" not in parts.netloc:
        return location
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def local_path(location: str) -> Path:
    """The file a `file://` URL or a plain path names; other schemes are refused."""
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise FeedError(f"file URL on another host ({parts.netloc}) is not supported")
        return Path(url2pathname(parts.path))
    if scheme and len(scheme) > 1:  # a one-letter "scheme" is a Windows drive
        raise FeedError(f"unsupported scheme {scheme!r}: use http(s), file:// or a path")
    return Path(location)


async def read_location(
    location: str, client: httpx.AsyncClient, max_bytes: int, timeout: float
) -> bytes:
    if is_web_url(location):
        return await fetch_url(location, client, max_bytes, timeout)
    return await asyncio.to_thread(read_file, local_path(location), max_bytes)


async def fetch_url(url: str, client: httpx.AsyncClient, max_bytes: int, timeout: float) -> bytes:
    """GET the URL (the client does not follow redirects), streaming at most `max_bytes`.

    httpx's timeout bounds each wait; `timeout` also bounds the whole download, so a
    server trickling bytes cannot hold up the refresh that every reader waits for."""
    try:
        async with asyncio.timeout(timeout):
            async with client.stream("GET", url, headers={"Accept": ACCEPT}) as response:
                _check_status(url, response)
                return await _read_capped(response, max_bytes)
    except (TimeoutError, httpx.TimeoutException) as error:
        raise FeedError(f"timed out after {timeout:g} s ({type(error).__name__})") from error
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise FeedError(f"could not fetch: {type(error).__name__}: {error}") from error


def _check_status(url: str, response: httpx.Response) -> None:
    if response.is_redirect:
        target = urljoin(url, response.headers.get("location", ""))
        raise FeedError(
            f"HTTP {response.status_code} redirect to {public_location(target)} not followed; "
            "configure that URL instead if it is the feed's new home"
        )
    if not response.is_success:
        raise FeedError(f"HTTP {response.status_code} {response.reason_phrase}".rstrip())


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it passes `max_bytes` (so a compressed
    bomb is refused too: the cap applies after decompression)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    return bytes(body)


def read_file(path: Path, max_bytes: int) -> bytes:
    """Blocking: call through `asyncio.to_thread`."""
    try:
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as error:
        raise FeedError(f"could not read file: {error.strerror or error}") from error
    if len(body) > max_bytes:
        raise _too_large(max_bytes)
    return body


def _too_large(max_bytes: int) -> FeedError:
    return FeedError(f"larger than {max_bytes} bytes (CONFIDANT_NEWS_MAX_FEED_BYTES)")


def parse_feed(location: str, body: bytes) -> ParsedFeed:
    """Entries without an http(s) link are dropped.

    The body goes in as a stream: given bytes, feedparser first tries them as a file
    name, so a feed whose whole body is a path would have us read that file."""
    parsed = feedparser.parse(io.BytesIO(body))
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS or Atom content"
        raise FeedError(f"not a readable feed: {reason}")
    source = clean_title(parsed.feed.get("title", "")) or fallback_source(location)
    items = [item for entry in parsed.entries if (item := to_item(entry, source)) is not None]
    return ParsedFeed(title=source, items=items)


def fallback_source(location: str) -> str:
    """The host of a URL, or the file name of a local feed."""
    if is_web_url(location):
        return urlsplit(location).hostname or location
    try:
        return local_path(location).name or location
    except FeedError:
        return location


def to_item(entry: Any, source: str) -> NewsItem | None:
    link = safe_link(entry.get("link", ""))
    if link is None:
        return None
    return NewsItem(
        title=clean_title(entry.get("title", "")) or UNTITLED,
        link=link,
        summary=clean_summary(_summary_of(entry)),
        published=published_at(entry),
        source=source,
    )


def _summary_of(entry: Any) -> str:
    summary = entry.get("summary", "")
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value", "")
    return str(summary)


def safe_link(link: Any) -> str | None:
    """An absolute http(s) link, or None (javascript:, data:, relative...)."""
    if not isinstance(link, str):
        return None
    link = link.strip()
    parts = urlsplit(link)
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return link if len(link) <= LINK_MAX_CHARS else None


def clean_title(raw: Any) -> str:
    """Plain text: tags stripped, entities unescaped, whitespace collapsed, capped."""
    text = html.unescape(nh3.clean(str(raw), tags=set()))
    return _cap_text(" ".join(text.split()), TITLE_MAX_CHARS)


def _cap_text(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _keep_web_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return safe_link(value)
    return value


SUMMARY_CLEANER = nh3.Cleaner(
    tags=SUMMARY_TAGS,
    attributes={"a": {"href", "title"}},
    attribute_filter=_keep_web_links,
    url_schemes=set(WEB_SCHEMES),
    link_rel=LINK_REL,
    strip_comments=True,
)


def clean_summary(raw: str) -> str:
    """A small allow-list of HTML, at most SUMMARY_MAX_CHARS characters.

    An over-long summary is cut and cleaned again: the HTML parser closes whatever the
    cut left open (and drops a half-written tag), so the result stays well formed. The
    closing tags it adds can overshoot the cap, hence the loop."""
    summary = SUMMARY_CLEANER.clean(raw[: SUMMARY_MAX_CHARS * 20]).strip()
    if len(summary) <= SUMMARY_MAX_CHARS:
        return summary
    cut = SUMMARY_MAX_CHARS - len(ELLIPSIS)
    while True:
        cut = _safe_cut(summary, cut)
        shortened = SUMMARY_CLEANER.clean(summary[:cut] + ELLIPSIS).strip()
        if len(shortened) <= SUMMARY_MAX_CHARS or cut == 0:
            return shortened
        cut = max(0, cut - (len(shortened) - SUMMARY_MAX_CHARS))


def _safe_cut(html_text: str, cut: int) -> int:
    """Move a cut that would split a tag or an entity ("&amp;") back to before it."""
    head = html_text[:cut]
    tag = head.rfind("<")
    if tag > head.rfind(">"):
        head = head[:tag]
    entity = head.rfind("&", max(0, len(head) - 10))
    if entity != -1 and ";" not in head[entity:]:
        head = head[:entity]
    return len(head)


def published_at(entry: Any) -> datetime | None:
    """From feedparser's UTC struct_time (published, else updated); None if absent."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime(*parsed[:5], min(parsed[5], 59), tzinfo=UTC)
    except ValueError:
        return None
