from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow

VOICE_AREA = "voice"  # their prefix in the bucket, when one is configured


class VoiceClip(Base):
    """A recording a user sent or a reply spoken to them, encrypted with their data key
    and kept until `expires_at`; its message stays after it is gone."""

    __tablename__ = "voice_clips"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    audio_ct: Mapped[bytes | None] = mapped_column(LargeBinary)  # None: in the bucket
    location: Mapped[str | None] = mapped_column(String(200))  # the bucket's key
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
