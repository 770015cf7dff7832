from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel, IsoDate, Tags

MAX_ENTRY_CHARS = 50_000
Mood = Annotated[int, Field(ge=1, le=10)]
EntryText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ENTRY_CHARS)]
VerbatimText = Annotated[str, StringConstraints(strip_whitespace=False)]


class EntryCreate(ApiInput):
    date: IsoDate
    text: EntryText
    mood: Mood | None = None
    tags: Tags = []


class EntryPatch(ApiInput):
    date: IsoDate | None = None
    text: EntryText | None = None
    mood: Mood | None = None
    tags: Tags | None = None


class EntryOut(ApiModel):
    id: str
    date: dt.date
    text: VerbatimText
    mood: int | None
    tags: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime


class ImportResult(ApiModel):
    created: int
    first_date: dt.date | None
    last_date: dt.date | None
