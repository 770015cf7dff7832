from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow


class MedicalCard(Base):
    """The whole card (with its computed BMI) is one ciphertext under the owner's key."""

    __tablename__ = "medical_cards"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    data_ct: Mapped[bytes] = mapped_column(LargeBinary)
    share_nonce: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


AVATARS_AREA = "avatars"  # their prefix in the bucket, when one is configured


class Avatar(Base):
    """Public by design (GET /api/users/{id}/avatar), so stored as uploaded."""

    __tablename__ = "avatars"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: in the bucket
    location: Mapped[str | None] = mapped_column(String(200))  # the bucket's key
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
