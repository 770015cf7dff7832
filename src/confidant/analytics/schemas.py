from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from confidant.kit.schemas import ApiModel

Range = Literal["week", "month"]


class MoodTrendOut(ApiModel):
    labels: list[str]
    values: list[float | None] = Field(description="average mood that day; null: none logged")
    days: list[date]


class CompletionOut(ApiModel):
    value: int = Field(description="percent of the weekly goal met, 0-100")
    label: str
    done: int
    goal: int = Field(description="the habits' weekly targets, added up")


class ChartsOut(ApiModel):
    mood_trend: MoodTrendOut
    completion: CompletionOut


class WeekOut(ApiModel):
    avg_mood: float | None
    habit_rate: int | None = Field(description="percent of habit-days checked in")
    days_streak: int


class MonthOut(ApiModel):
    avg_mood: float | None
    habit_rate: int | None


class ProgressOut(ApiModel):
    week: WeekOut
    month: MonthOut


class AnalyticsOut(ApiModel):
    range: Range
    time_zone: str
    charts: ChartsOut
    progress: ProgressOut
