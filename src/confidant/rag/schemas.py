from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel


class SourceOut(ApiModel):
    """Where an answer came from: an entry (or chat message), its date and a snippet."""

    entry_id: str = Field(description="The diary entry (or chat message) id")
    source_type: Literal["diary", "message"]
    date: dt.date
    snippet: str
    highlights: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets of query words in the snippet"
    )


class SearchOut(ApiModel):
    query: str
    since: dt.date | None
    until: dt.date | None
    results: list[SourceOut]


class RagQueryIn(ApiInput):
    question: Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class RagAnswer(ApiModel):
    answer: Annotated[str, StringConstraints(strip_whitespace=False)]
    sources: list[SourceOut]
