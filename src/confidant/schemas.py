"""The base of every API schema: camelCase on the wire, unknown fields refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        str_strip_whitespace=True,
    )


PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ().-]{5,24}$")


def normalise_phone(value: str) -> str:
    """Keep a leading + and the digits, so "+1 (555) 010-0000" and "+15550100000" match."""
    if not PHONE_PATTERN.match(value):
        raise ValueError("phone must be digits, optionally with +, spaces, dashes or brackets")
    digits = re.sub(r"\D", "", value)
    if not 6 <= len(digits) <= 15:
        raise ValueError("phone must have between 6 and 15 digits")
    return ("+" if value.startswith("+") else "") + digits


Phone = Annotated[str, AfterValidator(normalise_phone)]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]

Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[\w\- ]+$")]
Tags = Annotated[list[Tag], Field(max_length=20)]

CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def _not_in_future(moment: datetime) -> datetime:
    if moment > datetime.now(UTC) + CLOCK_SKEW:
        raise ValueError("must not be in the future")
    if moment < EARLIEST_MOMENT:
        raise ValueError("must be in 2000 or later")
    return moment.astimezone(UTC)


PastMoment = Annotated[AwareDatetime, AfterValidator(_not_in_future)]
"""A time with its offset, no later than now (give or take a clock's skew)."""
