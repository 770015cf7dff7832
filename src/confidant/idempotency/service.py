"""Idempotency keys on creating requests: claim, answer again, or refuse.

```
begin(attempt)  own transaction, committed at once, so other requests see the claim
  no row (or only an expired one)  -> a new row, claimed            -> Claim
  same key, another request        -> 409 idempotency_key_reused
  same key and request, answered   -> the first answer (decrypted)  -> Answer
  same key and request, running    -> 409 idempotency_in_progress
    (a claim older than IDEMPOTENCY_IN_PROGRESS_SECONDS was abandoned: taken over)
complete(session, claim, answer)   in the request's own transaction, beside its writes
release(claim)                     the request failed: the key is free again
```

A row keeps only digests: SHA-256 of the key, and a keyed HMAC (the blind-index secret)
of the method, path and canonical body, so a short body (a mood score) cannot be guessed
from its digest. The first answer is sealed with the owner's data key and goes with the
account (ON DELETE CASCADE) or when it expires (`purge_expired`, after
IDEMPOTENCY_TTL_SECONDS, at least a day). Rows are written like any other, so the ledger
records each claim, answer and release as a row write (digests only).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from confidant.idempotency.models import IdempotencyRecord
from confidant.kit.db import new_id, utcnow
from confidant.kit.errors import Conflict

if TYPE_CHECKING:
    from confidant.runtime import Runtime

TABLE, RESPONSE_COLUMN = IdempotencyRecord.__tablename__, "response"
REQUEST_PURPOSE = "idempotency-request"


class KeyReused(Conflict):
    code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request; "
            "use a new key for a new request"
        )


class InProgress(Conflict):
    code = "idempotency_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; send it again shortly"
        )


@dataclass(frozen=True)
class Attempt:
    """One request that carries a key: whose, on which route, and what it asks."""

    user_id: str
    scope: str
    key_digest: str
    request_digest: str


@dataclass(frozen=True)
class Claim:
    """The right to run the request; `token` fences out a request that took over."""

    record_id: str
    token: str


@dataclass(frozen=True)
class Answer:
    """What the first request answered: its status and its JSON body."""

    status_code: int
    body: bytes


def canonical_body(body: bytes) -> bytes:
    """JSON with sorted keys and no spaces, so the same object sent again matches however
    it was written; anything else as it came."""
    if not body.strip():
        return b""
    try:
        value = json.loads(body)
    except ValueError:
        return body
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def attempt(
    rt: Runtime, user_id: str, scope: str, key: str, method: str, target: str, body: bytes
) -> Attempt:
    """`scope`: the method and route template; `target`: the path and query as sent."""
    body_sha256 = hashlib.sha256(canonical_body(body)).hexdigest()
    return Attempt(
        user_id=user_id,
        scope=scope,
        key_digest=hashlib.sha256(key.encode()).hexdigest(),
        request_digest=rt.blind_index(REQUEST_PURPOSE, f"{method} {target} {body_sha256}"),
    )


async def begin(rt: Runtime, attempt: Attempt) -> Claim | Answer:
    """Claim the key for this request, or the first answer when it already ran."""
    try:
        return await _begin(rt, attempt)
    except IntegrityError:
        pass  # another request inserted the same key a moment ago: look again
    try:
        return await _begin(rt, attempt)
    except IntegrityError as exc:
        raise InProgress() from exc


async def _begin(rt: Runtime, attempt: Attempt) -> Claim | Answer:
    now = utcnow()
    async with rt.db.transaction() as session:
        # The caller's expired keys go first. A write before the read, it also takes
        # SQLite's write lock, so no other claim commits between the read and the claim.
        await session.execute(
            delete(IdempotencyRecord)
            .where(
                IdempotencyRecord.user_id == attempt.user_id, IdempotencyRecord.expires_at <= now
            )
            .execution_options(synchronize_session=False)
        )
        record = await session.scalar(
            select(IdempotencyRecord)
            .where(
                IdempotencyRecord.user_id == attempt.user_id,
                IdempotencyRecord.scope == attempt.scope,
                IdempotencyRecord.key_digest == attempt.key_digest,
            )
            .with_for_update()
        )
        token = new_id()
        if record is None:
            record = IdempotencyRecord(
                id=new_id(),
                user_id=attempt.user_id,
                scope=attempt.scope,
                key_digest=attempt.key_digest,
                request_digest=attempt.request_digest,
                claim=token,
                claimed_at=now,
                created_at=now,
                expires_at=now + timedelta(seconds=rt.settings.idempotency_ttl_seconds),
            )
            session.add(record)
            await session.flush()
            return Claim(record.id, token)
        if record.request_digest != attempt.request_digest:
            raise KeyReused()
        if record.status_code is not None and record.response_ct is not None:
            key = await rt.keystore.user_key(attempt.user_id)
            body = key.decrypt(
                record.response_ct, table=TABLE, column=RESPONSE_COLUMN, row_id=record.id
            )
            return Answer(record.status_code, body)
        abandoned = now - timedelta(seconds=rt.settings.idempotency_in_progress_seconds)
        if record.claim is not None and record.claimed_at > abandoned:
            raise InProgress()
        record.claim, record.claimed_at = token, now  # its request never finished
        return Claim(record.id, token)


async def complete(
    rt: Runtime, session: AsyncSession, user_id: str, claim: Claim, answer: Answer
) -> None:
    """Keep the answer in the request's own transaction, so it commits with the writes it
    describes. A request that lost its claim (it ran past the in-progress limit and a
    repeat took over) is refused: its writes roll back, the repeat's stand."""
    key = await rt.keystore.user_key(user_id)
    sealed = key.encrypt(answer.body, table=TABLE, column=RESPONSE_COLUMN, row_id=claim.record_id)
    result = await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.id == claim.record_id, IdempotencyRecord.claim == claim.token)
        .values(claim=None, status_code=answer.status_code, response_ct=sealed)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise InProgress()


async def release(rt: Runtime, claim: Claim) -> None:
    """The request failed: forget the claim (in a transaction of its own), so the key can
    be sent again."""
    async with rt.db.transaction() as session:
        await release_in(session, claim)


async def release_in(session: AsyncSession, claim: Claim) -> None:
    """`release` inside a transaction that will commit (a refusal that keeps its changes)."""
    await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.id == claim.record_id, IdempotencyRecord.claim == claim.token)
        .execution_options(synchronize_session=False)
    )


async def purge_expired(session: AsyncSession) -> int:
    """Delete every key past its time (the server's purge loop)."""
    result = await session.execute(
        delete(IdempotencyRecord)
        .where(IdempotencyRecord.expires_at <= utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
