"""Legacy account ids linked to accounts, as their owning service may see them.

A linked record's legacy id reaches only the service registered with the same legacy system
(`services add --legacy-system NAME`), as the claim `legacy_subject_id`, and only when that
service asks for it (oidc/userinfo.py, oidc/token/authorization_code.py). The export gives that
service its whole mapping, legacy id → pairwise `sub`, so it can update its records.
"""

from __future__ import annotations

from typing import AsyncIterator

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from govsignin.accounts.models import User
from govsignin.db.reads import Query
from govsignin.migration.models import LINKED, UNLINKED, LegacyAccount


_LEGACY_ID = Query(
    select(LegacyAccount.legacy_id).where(
        LegacyAccount.user_id == bindparam("user_id"), LegacyAccount.legacy_system == bindparam("system"),
        LegacyAccount.state == LINKED,
    ).limit(1)
)


async def legacy_subject_id(engine, client, user_id: str) -> str | None:
    """The citizen's id in the service's own legacy system, or None (no link, or not its system)."""
    if not client.legacy_system:
        return None
    row = await _LEGACY_ID.first(engine, user_id=user_id, system=client.legacy_system)
    return row[0] if row else None


async def iter_links(engine, legacy_system: str, batch_size: int = 5000) -> AsyncIterator[list[tuple[str, str]]]:
    """(legacy id, internal subject id) of every linked record of one system, in batches."""
    stmt = (
        select(LegacyAccount.legacy_id, User.internal_subject_id)
        .join(User, User.id == LegacyAccount.user_id)
        .where(LegacyAccount.legacy_system == legacy_system, LegacyAccount.state == LINKED,
               LegacyAccount.legacy_id.is_not(None))
        .order_by(LegacyAccount.import_key)
    )
    async with engine.connect() as conn:
        result = await conn.stream(stmt.execution_options(yield_per=batch_size))
        async for partition in result.partitions(batch_size):
            yield [(r[0], r[1]) for r in partition]


# --- "Link your old account" (journeys/pages/legacy_link.py) and the account pages -----------------

LINKED_NOW, ALREADY_LINKED, TAKEN, ANOTHER_ID = "linked", "already", "taken", "another"


async def link_account(services, *, system: str, legacy_id: str, user_id: str, email: str) -> str:
    """Link the legacy record `system:legacy_id` to the account, in one transaction. A record
    imported unlinked (a shared address) is claimed; a new one is written with row_number 0 (not
    from a file: the import report does not count it as imported). Refused: a record linked to
    another account (TAKEN), or an account already linked to another id of the system (ANOTHER_ID)."""
    key = f"{system}:{legacy_id}"
    try:
        async with services.sessionmaker() as db, db.begin():
            mine = (await db.execute(select(LegacyAccount.legacy_id).where(
                LegacyAccount.user_id == user_id, LegacyAccount.legacy_system == system,
                LegacyAccount.state == LINKED))).scalars().all()
            if legacy_id in mine:
                return ALREADY_LINKED
            if mine:
                return ANOTHER_ID
            record = await db.get(LegacyAccount, key, with_for_update=db.bind.dialect.name == "postgresql")
            if record is not None:
                if record.state == LINKED and record.user_id is not None:
                    return TAKEN
                record.user_id, record.state, record.reason = user_id, LINKED, None
            else:
                db.add(LegacyAccount(import_key=key, legacy_system=system, legacy_id=legacy_id, email=email,
                                     user_id=user_id, state=LINKED, email_verified=True, had_password=False,
                                     row_number=0))
    except IntegrityError:  # the same record linked at the same moment by another account
        return TAKEN
    return LINKED_NOW


async def links_of(services, user_id: str) -> list[tuple[str, str]]:
    """(legacy system, legacy id) of every record linked to the account."""
    async with services.sessionmaker() as db:
        rows = (await db.execute(
            select(LegacyAccount.legacy_system, LegacyAccount.legacy_id)
            .where(LegacyAccount.user_id == user_id, LegacyAccount.state == LINKED,
                   LegacyAccount.legacy_system.is_not(None), LegacyAccount.legacy_id.is_not(None))
            .order_by(LegacyAccount.legacy_system)
        )).all()
    return [(r[0], r[1]) for r in rows]


async def unlink(services, user_id: str, system: str) -> bool:
    """Remove the account's link to its record of `system` (the record stays, unlinked, for a
    later link). False if there was none."""
    async with services.sessionmaker() as db, db.begin():
        result = await db.execute(
            update(LegacyAccount)
            .where(LegacyAccount.user_id == user_id, LegacyAccount.legacy_system == system,
                   LegacyAccount.state == LINKED)
            .values(user_id=None, state=UNLINKED, reason="link removed by the citizen")
        )
    return result.rowcount > 0
