from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel


class ModelOut(ApiModel):
    name: str
    provider: Literal["transformers", "openai"]
    status: Literal["loading", "loaded", "unavailable"]
    reason: str | None
    default: bool


class UseModelIn(ApiInput):
    model: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    provider: Literal["transformers", "openai"] = "transformers"
