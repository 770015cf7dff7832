from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel, IsoDate, PastMoment, Tags

MoodScore = Annotated[int, Field(ge=1, le=10, description="1 (worst) to 10 (best)")]
Note = Annotated[str, StringConstraints(max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
TargetPerWeek = Annotated[int, Field(ge=1, le=7, description="days a week the habit is meant for")]
SessionMinutes = Annotated[float, Field(gt=0, le=600)]


class MoodCreate(ApiInput):
    score: MoodScore
    note: Note = ""
    tags: Tags = []
    logged_at: PastMoment | None = Field(default=None, description="default: now")


class MoodPatch(ApiInput):
    score: MoodScore | None = None
    note: Note | None = None
    tags: Tags | None = None
    logged_at: PastMoment | None = None


class MoodOut(ApiModel):
    id: str
    score: int
    note: str
    tags: list[str]
    logged_at: datetime
    created_at: datetime


class HabitCreate(ApiInput):
    name: Name
    target_per_week: TargetPerWeek = 7


class HabitPatch(ApiInput):
    name: Name | None = None
    target_per_week: TargetPerWeek | None = None
    archived: bool | None = None


class HabitOut(ApiModel):
    id: str
    name: str
    target_per_week: int
    archived: bool
    checked_today: bool
    this_week: int = Field(description="check-ins in the last 7 days, today included")
    created_at: datetime


class CheckInCreate(ApiInput):
    day: IsoDate | None = Field(default=None, description="your own calendar day; default today")


class CheckInOut(ApiModel):
    habit_id: str
    day: date
    created_at: datetime


class SessionCreate(ApiInput):
    title: Name
    duration_min: SessionMinutes
    completed_at: PastMoment | None = Field(default=None, description="default: now")


class SessionOut(ApiModel):
    id: str
    title: str
    duration_min: float
    completed_at: datetime


class StatsOut(ApiModel):
    streak_days: int
    xp: int
    level: int
    next_level_xp: int = Field(description="XP at which the next level starts")
    last_active_on: date | None
