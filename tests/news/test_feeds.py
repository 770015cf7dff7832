"""Parsing and sanitising, without HTTP: summaries, titles, links, dates, bodies, paths."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from confidant.news import feeds
from confidant.news.feeds import FeedError

ALLOWED = "<p>a <em>b</em> <strong>c</strong> <b>d</b> <i>e</i><br></p><blockquote>q</blockquote>"


def test_summary_keeps_the_allow_list() -> None:
    lists = "<ul><li>one</li></ul><ol><li>two</li></ol>"
    assert feeds.clean_summary(ALLOWED + lists) == ALLOWED + lists


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<script>alert(1)</script>safe", "safe"),
        ("<style>p{}</style><p>x</p>", "<p>x</p>"),
        ('<img src="x" onerror="alert(1)">pic', "pic"),
        ('<p onclick="alert(1)" style="color:red" class="c">x</p>', "<p>x</p>"),
        ('<iframe src="https://evil.example"></iframe><div>d</div>', "d"),
        ("<!-- hidden -->text", "text"),
        ('<a href="javascript:alert(1)">j</a>', '<a rel="noopener nofollow noreferrer">j</a>'),
        ('<a href="data:text/html,x">d</a>', '<a rel="noopener nofollow noreferrer">d</a>'),
        ('<a href="/relative">r</a>', '<a rel="noopener nofollow noreferrer">r</a>'),
        ('<a href="//host.example/x">p</a>', '<a rel="noopener nofollow noreferrer">p</a>'),
        (
            '<a href="https://ok.example/a?b=1&amp;c=2" rel="opener" target="_blank">ok</a>',
            '<a href="https://ok.example/a?b=1&amp;c=2" rel="noopener nofollow noreferrer">ok</a>',
        ),
    ],
)
def test_summary_drops_what_is_not_allowed(raw: str, expected: str) -> None:
    assert feeds.clean_summary(raw) == expected


def test_long_summary_is_capped_and_stays_well_formed() -> None:
    paragraph = '<p>Some <a href="https://e.example/x">linked &amp; long</a> text.</p>'
    summary = feeds.clean_summary(paragraph * 500)
    assert len(summary) <= feeds.SUMMARY_MAX_CHARS
    assert len(summary) > feeds.SUMMARY_MAX_CHARS - 200
    assert summary.endswith("…</p>") or summary.endswith("…</a></p>"), summary[-40:]
    assert summary.count("<p>") == summary.count("</p>")
    assert summary.count("<a ") == summary.count("</a>")
    assert "&amp;am" not in summary


def test_title_is_plain_text_and_capped() -> None:
    assert feeds.clean_title("  <b>Fish</b> &amp;amp;\n\t chips <script>x()</script> ") == (
        "Fish &amp; chips"
    )
    assert feeds.clean_title("1 &lt; 2 &amp; 3") == "1 < 2 & 3"
    long = feeds.clean_title("word " * 200)
    assert len(long) == feeds.TITLE_MAX_CHARS
    assert long.endswith("…")


@pytest.mark.parametrize(
    ("link", "kept"),
    [
        ("https://a.example/x", True),
        ("  http://a.example/x  ", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,hi", False),
        ("/relative", False),
        ("//a.example/x", False),
        ("https://", False),
        ("ftp://a.example/x", False),
        ("https://a.example/" + "x" * 3000, False),
        (None, False),
    ],
)
def test_only_absolute_web_links_are_kept(link: str | None, kept: bool) -> None:
    assert (feeds.safe_link(link) is not None) is kept


def test_published_prefers_published_then_updated() -> None:
    published = time.struct_time((2024, 2, 29, 23, 59, 60, 3, 60, 0))  # a leap second
    updated = time.struct_time((2024, 3, 1, 0, 0, 0, 4, 61, 0))
    both = {"published_parsed": published, "updated_parsed": updated}
    assert feeds.published_at(both) == datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert feeds.published_at({"updated_parsed": updated}) == datetime(2024, 3, 1, tzinfo=UTC)
    assert feeds.published_at({}) is None


def test_a_body_that_is_a_path_is_not_opened(tmp_path: Path) -> None:
    """feedparser reads a file named by bytes it is given; we give it a stream."""
    secret = tmp_path / "secret.xml"
    secret.write_text(
        "<rss version='2.0'><channel><title>Secret</title><item><title>leak</title>"
        "<link>https://leak.example/</link></item></channel></rss>"
    )
    with pytest.raises(FeedError, match="not a readable feed"):
        feeds.parse_feed("https://feeds.example/x", str(secret).encode())


def test_feed_without_title_is_named_after_its_host_or_file(tmp_path: Path) -> None:
    body = (
        b"<rss version='2.0'><channel><item><link>https://a.example/1</link></item></channel></rss>"
    )
    assert feeds.parse_feed("https://feeds.example:8443/x.xml", body).title == "feeds.example"
    assert feeds.parse_feed(str(tmp_path / "local.xml"), body).title == "local.xml"
    assert feeds.parse_feed((tmp_path / "u.xml").as_uri(), body).items[0].title == "Untitled"


def test_local_paths(tmp_path: Path) -> None:
    assert feeds.local_path("/srv/feeds/a.xml") == Path("/srv/feeds/a.xml")
    assert feeds.local_path("file:///srv/feeds/a%20b.xml") == Path("/srv/feeds/a b.xml")
    assert feeds.local_path("file://localhost/srv/a.xml") == Path("/srv/a.xml")
    with pytest.raises(FeedError, match="another host"):
        feeds.local_path("file://elsewhere/srv/a.xml")
    with pytest.raises(FeedError, match="unsupported scheme"):
        feeds.local_path("gopher://a.example/feed")


def test_read_file_caps_the_size(tmp_path: Path) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(b"x" * 2048)
    assert feeds.read_file(feed, 2048) == b"x" * 2048
    with pytest.raises(FeedError, match="larger than 2047 bytes"):
        feeds.read_file(feed, 2047)


def test_public_location_hides_credentials() -> None:
    assert feeds.public_location("https://u:p@a.example/f?x=1") == "https://a.example/f?x=1"
    assert feeds.public_location("https://a.example/f") == "https://a.example/f"
    assert feeds.public_location("/srv/feeds/a.xml") == "file:a.xml"
    assert feeds.public_location("file:///srv/feeds/b.xml") == "file:b.xml"
