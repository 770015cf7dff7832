"""Retrieval jobs that run on the workers."""

from __future__ import annotations

from typing import Any

from confidant.jobs.service import Progress, handler
from confidant.rag import service
from confidant.runtime import Runtime

REINDEX = "rag.reindex"


@handler(REINDEX)
async def reindex(
    rt: Runtime, _params: dict[str, Any], user_id: str | None, progress: Progress
) -> None:
    """Index the user's diary and own chat messages again from scratch."""
    assert user_id is not None
    progress.update(0, 1)
    await service.reindex_user(rt, user_id)
    progress.update(1, 1)
