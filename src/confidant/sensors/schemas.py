from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, model_validator

from confidant.kit.schemas import ApiInput, ApiModel, PastMoment

SampleKind = Literal["heart_rate", "steps", "sleep_minutes"]
MAX_BATCH = 10_000

# What a body can plausibly report; anything else is a device or unit error.
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "heart_rate": (20, 250),  # beats per minute
    "steps": (0, 100_000),  # steps counted in one sample
    "sleep_minutes": (0, 1440),  # minutes asleep in one sample, `at` = when it ended
}
WHOLE_NUMBER_KINDS = frozenset({"steps"})

ClientId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
]


class SampleIn(ApiInput):
    id: ClientId = Field(description="the device's own id for the sample (makes resending safe)")
    type: SampleKind
    value: float
    at: PastMoment = Field(description="when it was measured (for sleep: when it ended)")

    @model_validator(mode="after")
    def _plausible(self) -> SampleIn:
        low, high = VALUE_RANGES[self.type]
        if not low <= self.value <= high:
            raise ValueError(f"{self.type} must be between {low:g} and {high:g}")
        if self.type in WHOLE_NUMBER_KINDS and not float(self.value).is_integer():
            raise ValueError(f"{self.type} must be a whole number")
        return self


class BatchIn(ApiInput):
    samples: list[SampleIn] = Field(min_length=1, max_length=MAX_BATCH)


class BatchOut(ApiModel):
    received: int
    stored: int
    duplicates: int = Field(description="samples already stored (by id); not stored again")


class HeartRateOut(ApiModel):
    average: float
    min: float
    max: float
    samples: int


class DailySummaryOut(ApiModel):
    day: date
    steps: int | None
    sleep_minutes: int | None = Field(description="sleep that ended on this day (last night)")
    heart_rate: HeartRateOut | None


class SampleOut(ApiModel):
    id: str
    type: str
    value: float
    at: datetime
