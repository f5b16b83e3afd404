"""Second factors as a set: a default and backup methods, the 48-hour change block after a
password reset, and "I do not have access to my security codes" requests with a waiting period.

For the account pages (manage/):
- `await mfa_change_blocked_until(services, user_id) -> datetime | None`: while not None, refuse
  to add, remove or switch a second factor (show `/cannot-change-security-codes`'s text);
- `await second_factor_methods(services, user_id) -> list[Method]`;
- `await remove_passkey(...)`, `await remove_backup_method(...)`: each removal is refused (False)
  when it would leave the account without an app, a phone or a passkey.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from govsignin.accounts.models import MfaMethod, MfaResetRequest, Passkey, User
from govsignin.crypto import keyed_hash
from govsignin.db.base import utcnow

BLOCK_KEY = "mfa-change-block:{}"


@dataclass(frozen=True)
class Method:
    id: int
    kind: str  # auth_app | sms
    priority: str  # default | backup
    phone_hint: str | None = None  # the last 3 digits, as One Login shows them


def _phone_hint(phone: str | None) -> str | None:
    return phone[-3:] if phone else None


async def second_factor_methods(services, user_id: str) -> list[Method]:
    """The user's authenticator apps and phones, the default first."""
    async with services.sessionmaker() as db:
        rows = (
            await db.execute(select(MfaMethod).where(MfaMethod.user_id == user_id).order_by(MfaMethod.id))
        ).scalars().all()
    methods = [Method(r.id, r.kind, r.priority, _phone_hint(r.phone_number)) for r in rows if r.kind in ("auth_app", "sms")]
    return sorted(methods, key=lambda m: m.priority != "default")


async def sms_number(services, user_id: str) -> str | None:
    async with services.sessionmaker() as db:
        row = (
            await db.execute(
                select(MfaMethod.phone_number).where(MfaMethod.user_id == user_id, MfaMethod.kind == "sms").limit(1)
            )
        ).first()
    return row[0] if row else None


async def replace_second_factors(services, user_id: str, *, totp_secret: str) -> None:
    """After a lost-factor recovery: the new authenticator app becomes the only method.
    The old ones are removed (whoever has the lost phone must not keep a way in)."""
    async with services.sessionmaker() as db, db.begin():
        await db.execute(delete(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.kind.in_(("auth_app", "sms"))))
        db.add(MfaMethod(user_id=user_id, kind="auth_app", priority="default",
                         secret_encrypted=services.accounts.box.encrypt(totp_secret)))


# --- Removing a second factor: never the last one ------------------------------------------------
#
# An account with no app, phone or passkey could reset its password with the email alone, so a
# removal is one guarded DELETE: it deletes nothing unless another factor remains *when it runs*.
# On PostgreSQL the account's row is locked first, so two removals at once (two tabs, two
# passkeys) run one after the other and the second sees the first's result; on SQLite the DELETE
# is the transaction's first statement and takes the database's write lock itself.

CODE_KINDS = ("auth_app", "sms")


def _others_left(user_id: str, *, method_id: int | None = None, passkey_id: int | None = None):
    """SQL: the factors the account keeps besides the method or passkey being removed."""
    other_method, other_passkey = aliased(MfaMethod), aliased(Passkey)
    methods = select(func.count()).select_from(other_method).where(
        other_method.user_id == user_id, other_method.kind.in_(CODE_KINDS))
    passkeys = select(func.count()).select_from(other_passkey).where(other_passkey.user_id == user_id)
    if method_id is not None:
        methods = methods.where(other_method.id != method_id)
    if passkey_id is not None:
        passkeys = passkeys.where(other_passkey.id != passkey_id)
    return methods.correlate(None).scalar_subquery() + passkeys.correlate(None).scalar_subquery()


async def _lock_account(db, user_id: str) -> None:
    if db.bind.dialect.name == "postgresql":
        await db.execute(select(User.id).where(User.id == user_id).with_for_update())


async def _tidy(db, user_id: str) -> None:
    """After a removal: no passkey second factor without passkeys, and always one default."""
    if (await db.execute(select(Passkey.id).where(Passkey.user_id == user_id).limit(1))).first() is None:
        await db.execute(delete(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.kind == "passkey"))
    default = (await db.execute(select(MfaMethod.id).where(
        MfaMethod.user_id == user_id, MfaMethod.priority == "default").limit(1))).first()
    if default is None:
        first = (await db.execute(select(MfaMethod.id).where(MfaMethod.user_id == user_id)
                                  .order_by(MfaMethod.id).limit(1))).first()
        if first is not None:
            await db.execute(update(MfaMethod).where(MfaMethod.id == first[0]).values(priority="default"))


async def remove_passkey(services, user_id: str, passkey_id: int) -> bool:
    """Delete one of the account's passkeys, unless it is the account's last factor."""
    async with services.sessionmaker() as db, db.begin():
        await _lock_account(db, user_id)
        deleted = await db.execute(delete(Passkey).where(
            Passkey.id == passkey_id, Passkey.user_id == user_id,
            _others_left(user_id, passkey_id=passkey_id) >= 1))
        if deleted.rowcount != 1:
            return False
        await _tidy(db, user_id)
    return True


async def remove_backup_method(services, user_id: str, method_id: int) -> bool:
    """Delete a backup app or phone, unless the account would be left with no factor."""
    async with services.sessionmaker() as db, db.begin():
        await _lock_account(db, user_id)
        deleted = await db.execute(delete(MfaMethod).where(
            MfaMethod.id == method_id, MfaMethod.user_id == user_id, MfaMethod.priority == "backup",
            MfaMethod.kind.in_(CODE_KINDS), _others_left(user_id, method_id=method_id) >= 1))
        if deleted.rowcount != 1:
            return False
        await _tidy(db, user_id)
    return True


# --- The 48-hour block on changing second factors after a password reset -------------------------
# In the security store (the database, even with Redis): an eviction must not lift it.

async def block_mfa_change(services, user_id: str, seconds: int | None = None) -> dt.datetime:
    seconds = seconds if seconds is not None else services.settings.mfa_change_block_seconds
    until = utcnow() + dt.timedelta(seconds=seconds)
    await services.security_state.set(BLOCK_KEY.format(user_id), until.isoformat(), seconds)
    return until


async def mfa_change_blocked_until(services, user_id: str) -> dt.datetime | None:
    """When the user may next change how they get security codes, or None if they may now."""
    raw = await services.security_state.get(BLOCK_KEY.format(user_id))
    if raw is None:
        return None
    until = dt.datetime.fromisoformat(raw)
    return until if until > utcnow() else None


# --- Lost second factor, without a recovery code: a waiting period with a notice ----------------
#
# A request matures `mfa_reset_wait_seconds` after it is made and may then be used once, within
# `mfa_reset_use_seconds`; after that it is dead and the citizen asks again. At most one request
# per account is pending (a partial unique index, so two at once cannot both be created). Signing
# in with a real second factor, or the notice's cancel code, cancels it.

def _cancel_hash(services, token: str) -> str:
    return keyed_hash(services.settings.client_secret_hash_key, f"mfa-reset-cancel:v1:{token.strip()}")


def reset_usable(services, available_at: dt.datetime | None, now: dt.datetime | None = None) -> bool:
    """Whether a pending request that matures at `available_at` may be used now."""
    if available_at is None:
        return False
    now = now or utcnow()
    return available_at <= now < available_at + dt.timedelta(seconds=services.settings.mfa_reset_use_seconds)


async def pending_mfa_reset(services, user_id: str) -> MfaResetRequest | None:
    async with services.sessionmaker() as db:
        return (
            await db.execute(
                select(MfaResetRequest).where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending")
                .order_by(MfaResetRequest.requested_at.desc()).limit(1)
            )
        ).scalar_one_or_none()


async def request_mfa_reset(services, user_id: str) -> tuple[MfaResetRequest, str | None]:
    """Start the waiting period, or return the one already running (with no new cancel token).
    A pending request whose use window has passed is closed first ("expired")."""
    now = utcnow()
    use_window = dt.timedelta(seconds=services.settings.mfa_reset_use_seconds)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(
            update(MfaResetRequest)
            .where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending",
                   MfaResetRequest.available_at <= now - use_window)
            .values(state="expired", closed_at=now)
        )
    token = secrets.token_urlsafe(24)
    req = MfaResetRequest(
        id=str(uuid.uuid4()), user_id=user_id, cancel_hash=_cancel_hash(services, token), state="pending",
        requested_at=now, available_at=now + dt.timedelta(seconds=services.settings.mfa_reset_wait_seconds),
    )
    try:
        async with services.sessionmaker() as db, db.begin():
            db.add(req)
    except IntegrityError:  # one is pending already (perhaps made at this very moment)
        existing = await pending_mfa_reset(services, user_id)
        if existing is None:
            raise
        return existing, None
    return req, token


async def mfa_reset_ready(services, user_id: str) -> bool:
    req = await pending_mfa_reset(services, user_id)
    return req is not None and reset_usable(services, req.available_at)


async def claim_mfa_reset(services, user_id: str) -> bool:
    """Use the account's matured request, once: True for exactly one caller, while it is usable."""
    now = utcnow()
    use_window = dt.timedelta(seconds=services.settings.mfa_reset_use_seconds)
    async with services.sessionmaker() as db, db.begin():
        result = await db.execute(
            update(MfaResetRequest)
            .where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending",
                   MfaResetRequest.available_at <= now, MfaResetRequest.available_at > now - use_window)
            .values(state="completed", closed_at=now)
        )
    return result.rowcount == 1


async def cancel_mfa_reset(services, token: str) -> str | None:
    """Cancel a pending request by the notice's token. Returns the user id, or None."""
    if not token or len(token) > 100:
        return None
    async with services.sessionmaker() as db, db.begin():
        req = (
            await db.execute(select(MfaResetRequest).where(MfaResetRequest.cancel_hash == _cancel_hash(services, token)))
        ).scalar_one_or_none()
        if req is None or req.state != "pending":
            return None
        await db.execute(
            update(MfaResetRequest)
            .where(MfaResetRequest.user_id == req.user_id, MfaResetRequest.state == "pending")
            .values(state="cancelled", closed_at=utcnow())
        )
        return req.user_id


async def cancel_pending_mfa_resets(services, user_id: str) -> bool:
    """The owner signed in with a real second factor: no request of theirs stays live."""
    async with services.sessionmaker() as db, db.begin():
        result = await db.execute(
            update(MfaResetRequest)
            .where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending")
            .values(state="cancelled", closed_at=utcnow())
        )
    return result.rowcount > 0


async def complete_mfa_reset(services, user_id: str) -> None:
    """Close any pending request (a recovery code set the new method instead)."""
    async with services.sessionmaker() as db, db.begin():
        await db.execute(
            update(MfaResetRequest)
            .where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending")
            .values(state="completed", closed_at=utcnow())
        )
