"""Sending jobs to the workers once the transaction that created them commits."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

log = logging.getLogger("confidant.jobs")

DISPATCH_INFO_KEY = "job_dispatch"
_PENDING_INFO_KEY = "jobs_to_dispatch"

Sender = Callable[[str], None]


def dispatch_after_commit(session: Session | AsyncSession, job_id: str) -> None:
    session.info.setdefault(_PENDING_INFO_KEY, []).append(job_id)


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    send: Sender | None = session.info.get(DISPATCH_INFO_KEY)
    for job_id in session.info.pop(_PENDING_INFO_KEY, []):
        if send is None:
            continue
        try:
            send(job_id)
        except Exception:  # the write has committed; the job is sent again later
            log.exception("could not send job %s to the broker; it stays queued", job_id)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_INFO_KEY, None)
