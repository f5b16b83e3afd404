"""Signing keys, private halves encrypted at rest.

Life of a key: `next` (published in the JWKS, not yet signing) → `current` (signs) →
`retiring` (published, no longer signs, until `expires_at`) → deleted.
Each `purpose` is its own ring: `tokens` (ID and logout tokens, the JWKS) and `identity` (the
core identity JWT and requests to credential issuers, published in did.json).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(16), default="tokens", server_default=text("'tokens'"))
    state: Mapped[str] = mapped_column(String(16), index=True)
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
