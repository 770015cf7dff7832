"""Search results, and the grounding a reply is built on: retrieved sources."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from confidant.auth.models import User
from confidant.rag import service as rag_service
from confidant.rag.schemas import SearchOut, SourceOut

if TYPE_CHECKING:
    from confidant.runtime import Runtime


def source_outs(sources: list[rag_service.Source], query: str) -> list[SourceOut]:
    outs = []
    for source in sources:
        text, marks = rag_service.snippet(source.text, query)
        outs.append(
            SourceOut(
                entry_id=source.source_id,
                source_type="diary" if source.source_type == "diary" else "message",
                date=source.day,
                snippet=text,
                highlights=marks,
            )
        )
    return outs


async def search(
    rt: Runtime, user: User, query: str, limit: int, since: date | None, until: date | None
) -> SearchOut:
    since, until = rag_service.dates_for(user, query, since, until)
    sources = await rag_service.retrieve(rt, user, query, limit, since, until)
    return SearchOut(query=query, since=since, until=until, results=source_outs(sources, query))


async def grounding(rt: Runtime, user: User, query: str) -> tuple[str, list[SourceOut]]:
    """The system prompt with the user's most relevant notes, and those notes as sources."""
    since, until = rag_service.dates_for(user, query)
    sources = await rag_service.retrieve(rt, user, query, rt.settings.rag_top_k, since, until)
    if not sources:
        return rt.settings.llm_system_prompt, []
    prompt = rt.settings.llm_system_prompt + "\n\n" + rag_service.context_block(sources)
    return prompt, source_outs(sources, query)
