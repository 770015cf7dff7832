from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow


class AssessmentResponse(Base):
    """One completed questionnaire; the answers and the result are both encrypted with
    the owner's data key (a score says as much as the answers)."""

    __tablename__ = "assessment_responses"
    __table_args__ = (Index("ix_assessment_responses_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    assessment_id: Mapped[str] = mapped_column(String(16))
    answers_ct: Mapped[bytes] = mapped_column(LargeBinary)
    result_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
