"""A proven identity, kept for reuse: encrypted at rest (envelope encryption, stored.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class StoredIdentity(Base):
    __tablename__ = "stored_identities"

    # One proven identity per account; deleting the account deletes it.
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    vot: Mapped[str] = mapped_column(String(4))
    wrapped_key: Mapped[str] = mapped_column(Text)  # this record's data key, encrypted with the settings' key
    ciphertext: Mapped[str] = mapped_column(Text)  # the credentials, encrypted with the data key
    proven_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
