"""Migration progress (`govsignin accounts import-report`) and the erasure of old hashes never used
(`govsignin accounts erase-legacy-hashes`).

Everything is read from the live tables, so the figures stay true whatever path changed an
account: a first sign-in (accounts/service.py), a password reset or change, a deletion.

- imported: accounts made from legacy rows (linked records); unlinked: rows kept without one.
- upgraded: imported with an old hash that has since been replaced by argon2id (first sign-in,
  or a reset or change of password): `updated_at` after the import, and not the erased marker.
- signed in: imported accounts upgraded, or with a sign-in to a service since the import.
- pending: imported with an old hash still waiting for its first use.
- erased: old hashes erased unused after GOVSIGNIN_LEGACY_HASH_RETENTION_DAYS; those citizens
  set a new password with "forgotten your password" (an email code).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, exists, func, or_, select, update

from govsignin.accounts.legacy_hashes import ERASED
from govsignin.accounts.models import PasswordCredential
from govsignin.accounts.service_uses import ServiceUse
from govsignin.db.base import utcnow
from govsignin.migration.models import LINKED, UNLINKED, LegacyAccount

_LEGACY = LegacyAccount
_PASSWORD = PasswordCredential
_UPGRADED = and_(_LEGACY.had_password, _PASSWORD.updated_at > _LEGACY.imported_at, _PASSWORD.hash != ERASED)
_PENDING = and_(_LEGACY.had_password, _PASSWORD.updated_at <= _LEGACY.imported_at, _PASSWORD.hash != ERASED)
_USED = exists().where(ServiceUse.user_id == _LEGACY.user_id, ServiceUse.last_used >= _LEGACY.imported_at)


def _count(condition):
    return func.count().filter(condition)


async def import_report(engine, list_unlinked: bool = False) -> dict:
    linked = (
        select(
            func.count(),
            _count(_UPGRADED),
            _count(or_(_UPGRADED, _USED)),
            _count(_PENDING),
            _count(and_(_LEGACY.had_password, _PASSWORD.hash == ERASED)),
        )
        .select_from(_LEGACY)
        .outerjoin(_PASSWORD, _PASSWORD.user_id == _LEGACY.user_id)
        .where(_LEGACY.state == LINKED, _LEGACY.row_number > 0)  # row 0: linked by the citizen, not imported
    )
    async with engine.connect() as conn:
        imported, upgraded, signed_in, pending, erased = (await conn.execute(linked)).one()
        unlinked = (await conn.execute(select(func.count()).where(_LEGACY.state == UNLINKED))).scalar_one()
        report = {"imported": imported, "signed_in": signed_in, "upgraded": upgraded, "pending": pending,
                  "erased": erased, "unlinked": unlinked}
        if list_unlinked:
            rows = await conn.execute(
                select(_LEGACY.row_number, _LEGACY.email, _LEGACY.legacy_system, _LEGACY.legacy_id, _LEGACY.reason)
                .where(_LEGACY.state == UNLINKED).order_by(_LEGACY.imported_at, _LEGACY.row_number)
            )
            report["unlinked_records"] = [
                {"row": r[0], "email": r[1], "legacy_system": r[2], "legacy_id": r[3], "reason": r[4]} for r in rows
            ]
    return report


async def erase_unused_hashes(engine, older_than_days: int, now: dt.datetime | None = None) -> dict:
    """Replace every old hash imported more than `older_than_days` ago and never used by the
    erased marker, in one statement (all or nothing). Upgraded accounts are untouched."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=older_than_days)
    stale = (
        select(_LEGACY.user_id)
        .where(_LEGACY.state == LINKED, _LEGACY.had_password, _LEGACY.imported_at < cutoff,
               _LEGACY.user_id == _PASSWORD.user_id, _PASSWORD.updated_at <= _LEGACY.imported_at)
    )
    async with engine.begin() as conn:
        result = await conn.execute(
            update(_PASSWORD).where(exists(stale), _PASSWORD.hash != ERASED)
            .values(hash=ERASED, updated_at=now).execution_options(synchronize_session=False)
        )
    return {"erased": result.rowcount, "older_than_days": older_than_days, "imported_before": cutoff.isoformat()}
