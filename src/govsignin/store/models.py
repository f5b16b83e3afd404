"""Short-lived shared state (sessions, journeys, codes, tokens, counters) when Redis is absent."""

from __future__ import annotations

from sqlalchemy import Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base


class EphemeralEntry(Base):
    __tablename__ = "ephemeral"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # unix time


class SecurityState(Base):
    """Security state that must outlive Redis evictions and restarts: lockout counters and
    blocks, the block on changing second factors after a password reset, and each account's
    session generation ("sign out of all devices"). Always in the database, whatever the store."""

    __tablename__ = "security_state"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float] = mapped_column(Float, index=True)  # unix time
