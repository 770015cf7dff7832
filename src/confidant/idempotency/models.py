"""One row per (user, route, key): who claimed it, and the first answer, sealed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow


class IdempotencyRecord(Base):
    """A key a user sent on a creating route. While `claim` is set a request with it is
    running; once it succeeded, `status_code` and `response_ct` (the answer's JSON,
    encrypted with the owner's data key) are what a repeat gets. Only digests of the key
    and of the request are kept, never the body itself."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "scope", "key_digest", name="uq_idempotency_keys_user_scope_key"
        ),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(200), doc="method and route template")
    key_digest: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the key")
    request_digest: Mapped[str] = mapped_column(
        String(64), doc="keyed HMAC of the method, path and canonical body"
    )
    claim: Mapped[str | None] = mapped_column(String(36), doc="the running request's token")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
