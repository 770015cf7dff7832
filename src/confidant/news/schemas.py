"""The news feed on the wire."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from confidant.kit.schemas import ApiModel


class NewsItemOut(ApiModel):
    title: str = Field(description="plain text")
    link: str = Field(description="an absolute http(s) URL")
    summary: str = Field(description="sanitised HTML: p, br, a, em, strong, b, i, lists, quotes")
    published: datetime | None = Field(description="UTC; null when the feed gives no date")
    source: str = Field(description="the feed's title, or its host or file name")


class FeedStatusOut(ApiModel):
    location: str
    ok: bool = Field(description="false when the last refresh could not use this feed")
    error: str | None = None
    items: int = Field(description="items the feed contributed, before merging and the limit")
    stale: bool = Field(description="true when these are the items of an earlier refresh")


class NewsOut(ApiModel):
    items: list[NewsItemOut]
    feeds: list[FeedStatusOut]
    fetched_at: datetime
