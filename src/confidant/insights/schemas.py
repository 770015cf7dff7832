from __future__ import annotations

from datetime import date

from pydantic import Field

from confidant.kit.schemas import ApiModel


class DailyInsightOut(ApiModel):
    title: str
    text: str
    theme: str = Field(description="why this prompt: support, low, anxious, dipping, ...")


class ActivityOut(ApiModel):
    title: str
    details: str
    reason: str


class SuggestionsOut(ApiModel):
    activities: list[ActivityOut]


class BasisOut(ApiModel):
    """What the choice was made from, so the user can see why."""

    mood_this_week: float | None = Field(description="mean mood, last 7 days")
    mood_last_week: float | None = Field(description="mean mood, the 7 days before")
    phq9: int | None
    gad7: int | None
    who5: int | None
    habit_rate: int | None
    days_since_session: int | None
    sleep_minutes: int | None


class InsightsOut(ApiModel):
    date: date
    daily_insight: DailyInsightOut
    suggestions: SuggestionsOut
    basis: BasisOut
