"""The base of every API schema: camelCase on the wire, unknown fields refused; request
bodies strict about JSON types, and dates only as ISO 8601 text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    Strict,
    StringConstraints,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError


class ApiModel(BaseModel):
    """Responses (built by our own code) and the shared shapes."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        extra="forbid",
        str_strip_whitespace=True,
    )


class StrictInput(BaseModel):
    """Mixed into every request body: a JSON value must already have the field's type.
    No "5" or true for an integer, no 5 for a string; an integer is a number for a float.
    Dates and times are the exception JSON forces (it has no such type): they come as ISO
    8601 text, through `IsoDate`, `IsoDateTime` and `PastMoment`, never as numbers.
    No text may hold a NUL character (PostgreSQL cannot store one; no person writes one)."""

    model_config = ConfigDict(strict=True)

    @field_validator("*")
    @classmethod
    def _no_nul_characters(cls, value: Any) -> Any:
        if _holds_nul(value):
            raise PydanticCustomError("string_nul", "Text must not contain NUL characters")
        return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False  # nested request models check their own fields


class ApiInput(ApiModel, StrictInput):
    """The base of request bodies: camelCase, unknown fields refused, strict types."""


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_ISO_DATETIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?"
    r"([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)?$"
)


def _iso_date_text(value: Any) -> Any:
    """A date object (from our own code) or `YYYY-MM-DD` text; pydantic then parses it."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        return value
    raise PydanticCustomError("date_type", "Input should be a date as YYYY-MM-DD text")


def _iso_datetime_text(value: Any) -> Any:
    """A datetime object (from our own code) or ISO 8601 text; pydantic then parses it."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return value
    raise PydanticCustomError("datetime_type", "Input should be a date and time as ISO 8601 text")


RESOURCE_ID_PATTERN = r"^[A-Za-z0-9._~-]+$"
ResourceId = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=RESOURCE_ID_PATTERN)
]
"""The id of something in a path (`/api/diary/{entry_id}`): URL-safe characters only, so
what is looked up is never text a database cannot hold (a NUL, say)."""

# Lax inside (so the text is parsed even in a strict model), but only text that looks like
# ISO 8601 gets there: lax pydantic would read 0 or "1700000000" as a Unix time.
IsoDate = Annotated[date, Strict(False), BeforeValidator(_iso_date_text)]
"""A calendar day, as `YYYY-MM-DD`: in bodies, query strings and paths alike."""
IsoDateTime = Annotated[datetime, Strict(False), BeforeValidator(_iso_datetime_text)]
"""A moment as ISO 8601 text (`2024-05-01T08:30:00+02:00`)."""


def days_back(day: date, count: int) -> date:
    """`count` days before `day`, or the first day there is: a client may send any day
    from 0001-01-01 to 9999-12-31, and a default range reaching before year 1 is a 500."""
    return day - timedelta(days=min(count, (day - date.min).days))


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


PastMoment = Annotated[
    AwareDatetime,
    Strict(False),
    BeforeValidator(_iso_datetime_text),
    AfterValidator(_not_in_future),
]
"""A time with its offset, no later than now (give or take a clock's skew)."""
