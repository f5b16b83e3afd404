"""Legacy account ids linked to accounts, as their owning service may see them.

A linked record's legacy id reaches only the service registered with the same legacy system
(`services add --legacy-system NAME`), as the claim `legacy_subject_id`, and only when that
service asks for it (oidc/userinfo.py, oidc/token/authorization_code.py). The export gives that
service its whole mapping, legacy id → pairwise `sub`, so it can update its records.
"""

from __future__ import annotations

from typing import AsyncIterator

from sqlalchemy import bindparam, select

from govsignin.accounts.models import User
from govsignin.db.reads import Query
from govsignin.migration.models import LINKED, LegacyAccount


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
