from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from confidant.kit.db import Base, UTCDateTime, new_id, utcnow


class SensorSample(Base):
    """One wearable reading. The value is encrypted; the kind and time stay plain so that a
    day's samples can be found. `client_id` is the device's own id for the sample: sending
    a batch again adds nothing."""

    __tablename__ = "sensor_samples"
    __table_args__ = (
        UniqueConstraint("user_id", "client_id", name="uq_sensor_samples_user_id_client_id"),
        Index("ix_sensor_samples_user_id_measured_at", "user_id", "measured_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime())
    value_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
