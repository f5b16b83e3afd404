"""People and their credentials, kept apart: a user, a password, second factors."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # The stable internal subject, never shown to services: pairwise subs derive from it.
    internal_subject_id: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(256), unique=True)
    email_verified: Mapped[bool] = mapped_column(default=True)
    phone_number: Mapped[str | None] = mapped_column(String(32), nullable=True)  # E.164
    phone_number_verified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordCredential(Base):
    __tablename__ = "password_credentials"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    hash: Mapped[str] = mapped_column(Text)  # argon2id encoded hash
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class MfaMethod(Base):
    """A second factor. kind: auth_app | sms | passkey (the passkeys themselves are Passkey rows).
    At most one authenticator app per account: sign-in checks one."""

    __tablename__ = "mfa_methods"
    __table_args__ = (
        Index("uq_mfa_methods_one_auth_app", "user_id", unique=True,
              sqlite_where=text("kind = 'auth_app'"), postgresql_where=text("kind = 'auth_app'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16), default="default")  # default | backup
    secret_encrypted: Mapped[str | None] = mapped_column(Text, nullable=True)
    phone_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RecoveryCode(Base):
    """One single-use recovery code (10 per set). Only a keyed SHA-256 of it is kept:
    accounts/recovery_codes.py says why that, not argon2, is right for random codes."""

    __tablename__ = "recovery_codes"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MfaResetRequest(Base):
    """"I do not have access to my security codes" without a recovery code: after an email code,
    the citizen may set a new second factor once `available_at` has passed, unless the notice
    email's cancel code is used first. state: pending | cancelled | completed | expired.
    At most one pending request per account."""

    __tablename__ = "mfa_reset_requests"
    __table_args__ = (
        Index("uq_mfa_reset_requests_one_pending", "user_id", unique=True,
              sqlite_where=text("state = 'pending'"), postgresql_where=text("state = 'pending'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    cancel_hash: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    available_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Passkey(Base):
    """A WebAuthn credential (accounts/passkeys.py). The citizen's second factor of kind
    "passkey" is an MfaMethod row; each passkey the citizen registers is one of these."""

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)  # base64url, ≤ 1023 bytes raw
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE key
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    transports: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    user_handle: Mapped[str] = mapped_column(String(128))  # base64url WebAuthn user.id (random, not the email)
    aaguid: Mapped[str] = mapped_column(String(36), default="")
    backed_up: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
