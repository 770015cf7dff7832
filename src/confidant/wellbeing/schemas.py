from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from confidant.kit.schemas import ApiInput, ApiModel


class OptionOut(ApiModel):
    value: int
    label: str


class BandOut(ApiModel):
    low: int
    high: int
    severity: str


class AssessmentOut(ApiModel):
    id: str
    title: str
    prompt: str
    items: list[str]
    options: list[OptionOut]
    bands: list[BandOut]
    max_score: int
    better: Literal["lower", "higher"]


class ResponseIn(ApiInput):
    answers: list[int] = Field(max_length=50, description="one answer value per item, in order")


class ResponseOut(ApiModel):
    id: str
    assessment_id: str
    answers: list[int]
    score: int
    max_score: int
    severity: str
    flagged: bool
    created_at: datetime


class SubmittedOut(ResponseOut):
    crisis: bool = Field(description="True when an answer needs the crisis resources")
    crisis_resources: str | None = None


class TrendOut(ApiModel):
    latest: int | None
    previous: int | None
    change: int | None
    direction: Literal["improving", "worsening", "steady"] | None


class HistoryOut(ApiModel):
    items: list[ResponseOut] = Field(description="newest first")
    trend: TrendOut


class CrisisResourcesOut(ApiModel):
    resources: str = Field(description="crisis lines for the caller's language, as plain text")
