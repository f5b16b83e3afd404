"""When two legacy rows share an email: the first row whose email the old system verified gets
the account.

Within a batch the importer lets verified rows claim first. Across batches (or runs), an account
already made from an *unverified* row is handed to a later verified row only while nobody can
have used it: its email is still unverified, its password is the imported one (not changed,
reset or upgraded since: `updated_at` not after the import), and no service has had a sign-in.
Then the account's credentials and subject are replaced by the verified row's, and the
unverified row is kept unlinked. Otherwise the verified row is the one left unlinked: an
account somebody may have used is never given to somebody else. A first sign-in that checked
the old hash while it was being replaced fails (accounts/service.py upgrades the hash only if it
is still the one checked, and succeeds only then).
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, exists, insert, select, update

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.accounts.service_uses import ServiceUse
from govsignin.migration.models import LINKED, UNLINKED, LegacyAccount
from govsignin.migration.rows import Rejected, Row


async def take_over_unverified(conn, row: Row, box, now) -> tuple[str, Rejected] | None:
    """(account id, the unlinked row's report) if `row` took the account for its email."""
    password_unchanged = ~exists().where(
        PasswordCredential.user_id == User.id, PasswordCredential.updated_at > LegacyAccount.imported_at
    )
    never_used = ~exists().where(ServiceUse.user_id == User.id)
    stmt = (
        select(User.id, LegacyAccount.import_key, LegacyAccount.row_number,
               LegacyAccount.legacy_system, LegacyAccount.legacy_id)
        .join(LegacyAccount, LegacyAccount.user_id == User.id)
        .where(User.email == row.email, User.email_verified.is_(False), LegacyAccount.state == LINKED,
               LegacyAccount.email_verified.is_(False), password_unchanged, never_used)
    )
    found = (await conn.execute(stmt)).first()
    if found is None:
        return None
    user_id, key, number, system, legacy_id = found
    reason = f"a later row whose email the old system verified (row {row.number}) took the address"
    await conn.execute(
        update(LegacyAccount).where(LegacyAccount.import_key == key)
        .values(user_id=None, state=UNLINKED, reason=reason)
    )
    for model in (PasswordCredential, MfaMethod):
        await conn.execute(delete(model).where(model.user_id == user_id))
    await conn.execute(
        update(User).where(User.id == user_id).values(
            internal_subject_id=secrets.token_urlsafe(32),  # nobody else's subject carries over
            email_verified=True, phone_number=row.phone, phone_number_verified=False,
            created_at=row.created_at or now,
        )
    )
    if row.password_hash is not None:
        await conn.execute(insert(PasswordCredential.__table__).values(user_id=user_id, hash=row.password_hash, updated_at=now))
    if row.totp_secret is not None:
        await conn.execute(insert(MfaMethod.__table__).values(
            user_id=user_id, kind="auth_app", priority="default",
            secret_encrypted=box.encrypt(row.totp_secret), created_at=now))
    return user_id, Rejected(number, reason, row.email, system, legacy_id)
