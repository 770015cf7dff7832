"""The `models` table: one row per adapter (kind "adapter", owned by a user). Base models
are the ones the service is configured with (the model registry)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow

KIND_BASE, KIND_ADAPTER = "base", "adapter"
QUEUED, TRAINING, READY, FAILED, CANCELLED = "queued", "training", "ready", "failed", "cancelled"
IN_PROGRESS = frozenset({QUEUED, TRAINING})


class FineTunedModel(Base):
    __tablename__ = "models"
    __table_args__ = (Index("ix_models_owner_id_created_at", "owner_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    base_model: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16), default=KIND_ADAPTER)
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    adapter_location: Mapped[str | None] = mapped_column(String(1000))
    hyperparameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=QUEUED)
    trigger: Mapped[str] = mapped_column(String(16), doc="user, admin or automatic")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
