"""Wire shape of a job."""

from __future__ import annotations

from datetime import datetime

from confidant.jobs.models import Job
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


def job_out(job: Job) -> JobOut:
    return JobOut.model_validate(job, from_attributes=True)
