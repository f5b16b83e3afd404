"""One row per legacy record imported (`govsignin accounts import`), linked or not.

`import_key` makes an import idempotent: `<legacy_system>:<legacy_id>`, or `@<email>` for a
record without a legacy id. A record whose email already had an account (a family's shared
address, a second old system) is kept with no `user_id` (state "unlinked"): two people are never
merged. A linked record's legacy id reaches only the service registered with its
`legacy_system` (claim `legacy_subject_id`, migration/claims.py). Deleting the account deletes
its records (the foreign key cascades).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govsignin.db.base import Base, UTCDateTime, utcnow

LINKED = "linked"
UNLINKED = "unlinked"


class LegacyAccount(Base):
    __tablename__ = "legacy_accounts"
    __table_args__ = (Index("ix_legacy_accounts_user_id_legacy_system", "user_id", "legacy_system"),)

    import_key: Mapped[str] = mapped_column(String(330), primary_key=True)
    legacy_system: Mapped[str | None] = mapped_column(String(64), nullable=True)
    legacy_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    email: Mapped[str] = mapped_column(String(256))  # normalised, as in the file
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    state: Mapped[str] = mapped_column(String(16))  # linked | unlinked
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)  # why unlinked
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)  # in the old system
    had_password: Mapped[bool] = mapped_column(Boolean, default=False)
    row_number: Mapped[int] = mapped_column()  # in the file it came from
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
