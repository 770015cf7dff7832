from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow


class SafetyEvent(Base):
    """A crisis signal was seen. Holds no message text, only what and where."""

    __tablename__ = "safety_events"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[str | None] = mapped_column(ForeignKey("chats.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(32))
    detector: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str | None] = mapped_column(String(16), doc="high | moderate")
    channel: Mapped[str] = mapped_column(String(16))  # chat voice call query openai assessment
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
