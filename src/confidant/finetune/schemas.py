from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from confidant.kit.schemas import ApiInput, ApiModel


class HyperparametersIn(ApiInput):
    """Bounded so that one request cannot occupy a worker for days or exhaust memory."""

    rank: int = Field(default=8, ge=1, le=64)
    alpha: int = Field(default=16, ge=1, le=256)
    dropout: float = Field(default=0.05, ge=0, le=0.5)
    learning_rate: float = Field(default=2e-4, gt=0, le=1e-2)
    epochs: int = Field(default=2, ge=1, le=10)
    batch_size: int = Field(default=4, ge=1, le=32)
    max_length: int = Field(default=512, ge=32, le=4096)
    eval_fraction: float = Field(default=0.1, ge=0.05, le=0.5)
    max_steps: int | None = Field(default=None, ge=1, le=20_000)
    seed: int = Field(default=0, ge=0, le=2**31 - 1)


class FineTuneIn(ApiInput):
    user_id: Annotated[str, StringConstraints(min_length=1, max_length=36)] | None = Field(
        default=None, description="Admins: whose adapter to train (default: your own)"
    )
    base_model: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    hyperparameters: HyperparametersIn = Field(default_factory=HyperparametersIn)


State = Literal["queued", "training", "ready", "failed", "cancelled"]


class FineTuneStatus(ApiModel):
    id: str
    name: str
    base_model: str
    owner_id: str | None
    trigger: str
    state: State
    step: int
    total_steps: int | None
    loss: float | None
    eval_loss: float | None
    eval_loss_before: float | None
    eta_seconds: float | None
    train_examples: int | None
    eval_examples: int | None
    detail: str | None = Field(description="why it failed")
    job_id: str | None
    created_at: datetime
    finished_at: datetime | None


class ModelListItem(ApiModel):
    """A base model the service runs, or one of the caller's adapters on one."""

    name: str
    kind: Literal["base", "adapter"]
    provider: Literal["transformers", "openai"] | None = None
    status: str
    reason: str | None = None
    default: bool = False
    id: str | None = None
    base_model: str | None = None
    active: bool = Field(default=False, description="adapters: the one your replies use")
    created_at: datetime | None = None
