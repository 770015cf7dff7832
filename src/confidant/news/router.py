"""HTTP for the health news feed: public, and only ever the feeds the operator configured."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from confidant.app.deps import RuntimeDep
from confidant.news import service
from confidant.news.schemas import NewsOut

router = APIRouter(tags=["news"])

Limit = Annotated[int | None, Query(ge=1, description="items, at most CONFIDANT_NEWS_MAX_ITEMS")]


@router.get("/api/news", response_model=NewsOut)
async def get_news(rt: RuntimeDep, limit: Limit = None) -> NewsOut:
    """Health news from the configured RSS/Atom feeds, newest first, with how each feed
    fared; cached for CONFIDANT_NEWS_CACHE_SECONDS. No sign-in needed."""
    maximum = rt.news.max_items
    if limit is not None and limit > maximum:
        raise _limit_too_large(limit, maximum)
    return service.news_out(await rt.news.latest(), limit or maximum)


def _limit_too_large(limit: int, maximum: int) -> RequestValidationError:
    """The upper bound is a setting, so FastAPI cannot check it: raise its error ourselves."""
    return RequestValidationError(
        [
            {
                "type": "less_than_equal",
                "loc": ("query", "limit"),
                "msg": f"Input should be less than or equal to {maximum}",
                "input": limit,
                "ctx": {"le": maximum},
            }
        ]
    )
