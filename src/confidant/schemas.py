"""The base of every API schema: camelCase on the wire, unknown fields refused."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, StringConstraints
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
