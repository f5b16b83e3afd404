"""Append-only audit events, each chained to the previous one by hash (see chain.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, CheckConstraint, Integer, String, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """One security event. The database refuses UPDATE and DELETE (triggers, migration 0002)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tag: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # The chain: position (1, 2, 3, ... without gaps), the previous event's hash, this event's hash.
    seq: Mapped[int] = mapped_column(BigInteger, index=True, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Format 2 (migration 0007): HMAC of the personal fields, which live in audit_personal (and
    # user_id, ip, user_agent above stay NULL). NULL for events without personal data and for
    # events recorded before 0007, which hash their personal fields raw (format 1, chain.py).
    personal: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)


class AuditChainHead(Base):
    """The chain's tip, one row. Appenders lock it (FOR UPDATE / SQLite's write lock) to serialise;
    a trigger on audit_events moves it, and refuses events that do not extend it."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """(seq, hash) of an event, recorded by `govsignin audit checkpoint`. Append-only (triggers,
    migration 0006): a checkpoint names an existing event, after the newest checkpoint. Events up
    to the newest checkpoint's seq may be deleted (expiry by whole prefix); verify then starts from
    the checkpoint just below the oldest remaining event, trusting its hash."""

    __tablename__ = "audit_checkpoints"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditPersonal(Base):
    """The personal fields of one event (format 2, chain.py), outside the hashed row: the event
    hashes only `personal`, an HMAC of these values keyed with `salt`. Deleting the row (account
    deletion) leaves the event anonymous and its hash intact. UPDATE is refused (migration 0007)."""

    __tablename__ = "audit_personal"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)  # = audit_events.personal
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(512), nullable=True)
    salt: Mapped[str] = mapped_column(String(64))


def events_of(user_id: str):
    """A WHERE clause for this user's events: format-2 events keep the user id in their
    audit_personal row (gone once the account is deleted), older ones in the event row."""
    return or_(AuditEvent.personal.in_(select(AuditPersonal.digest).where(AuditPersonal.user_id == user_id)),
               AuditEvent.user_id == user_id)
