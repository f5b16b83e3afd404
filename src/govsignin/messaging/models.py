"""The development outbox: messages that would have been sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class OutboxMessage(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    recipient: Mapped[str] = mapped_column(String(256), index=True)
    template: Mapped[str] = mapped_column(String(64))
    personalisation: Mapped[dict] = mapped_column(JSON, default=dict)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
