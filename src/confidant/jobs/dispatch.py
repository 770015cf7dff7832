"""Sending jobs to the workers once the transaction that created them commits."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

DISPATCH_INFO_KEY = "job_dispatch"
_PENDING_INFO_KEY = "jobs_to_dispatch"

Sender = Callable[[str], None]


def dispatch_after_commit(session: Session | AsyncSession, job_id: str) -> None:
    session.info.setdefault(_PENDING_INFO_KEY, []).append(job_id)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    send: Sender | None = session.info.get(DISPATCH_INFO_KEY)
    for job_id in session.info.pop(_PENDING_INFO_KEY, []):
        if send is not None:
            send(job_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_INFO_KEY, None)
