"""Wire shape of a job."""

from __future__ import annotations

from datetime import datetime

from confidant.kit.schemas import ApiModel


class JobOut(ApiModel):
    id: str
    kind: str
    state: str
    progress: int
    total: int | None
    detail: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
