"""Relying parties (services) and what each may ask for (onelogin-contract.md §1.9)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow


class RelyingParty(Base):
    __tablename__ = "relying_parties"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    token_auth_method: Mapped[str] = mapped_column(String(32))  # private_key_jwt | client_secret_post
    public_keys: Mapped[list[dict]] = mapped_column(JSON, default=list)  # public JWKs
    jwks_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    secret_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    claims: Mapped[list[str]] = mapped_column(JSON, default=list)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    sector_identifier_uri: Mapped[str | None] = mapped_column(Text, nullable=True)
    subject_type: Mapped[str] = mapped_column(String(16), default="pairwise")
    require_pkce: Mapped[bool] = mapped_column(Boolean, default=False)
    id_token_alg: Mapped[str] = mapped_column(String(8), default="ES256")
    permit_missing_nonce: Mapped[bool] = mapped_column(Boolean, default=False)
    max_age_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    jar_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # The legacy system whose account ids this service owns (migration/): only it may receive
    # the claim legacy_subject_id.
    legacy_system: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    client_locs: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["P0"])
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
