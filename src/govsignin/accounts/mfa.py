"""Second factors as a set: a default and backup methods, the 48-hour change block after a
password reset, and "I do not have access to my security codes" requests with a waiting period.

For the account pages (manage/):
- `await mfa_change_blocked_until(services, user_id) -> datetime | None`: while not None, refuse
  to add, remove or switch a second factor (show `/cannot-change-security-codes`'s text);
- `await second_factor_methods(services, user_id) -> list[Method]`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from govsignin.accounts.models import MfaMethod, MfaResetRequest
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

def _cancel_hash(services, token: str) -> str:
    return keyed_hash(services.settings.client_secret_hash_key, f"mfa-reset-cancel:v1:{token.strip()}")


async def pending_mfa_reset(services, user_id: str) -> MfaResetRequest | None:
    async with services.sessionmaker() as db:
        return (
            await db.execute(
                select(MfaResetRequest).where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending")
                .order_by(MfaResetRequest.requested_at.desc()).limit(1)
            )
        ).scalar_one_or_none()


async def request_mfa_reset(services, user_id: str) -> tuple[MfaResetRequest, str | None]:
    """Start the waiting period, or return the one already running (with no new cancel token)."""
    existing = await pending_mfa_reset(services, user_id)
    if existing is not None:
        return existing, None
    token = secrets.token_urlsafe(24)
    now = utcnow()
    req = MfaResetRequest(
        id=str(uuid.uuid4()), user_id=user_id, cancel_hash=_cancel_hash(services, token), state="pending",
        requested_at=now, available_at=now + dt.timedelta(seconds=services.settings.mfa_reset_wait_seconds),
    )
    async with services.sessionmaker() as db, db.begin():
        db.add(req)
    return req, token


async def mfa_reset_ready(services, user_id: str) -> bool:
    req = await pending_mfa_reset(services, user_id)
    return req is not None and req.available_at <= utcnow()


async def cancel_mfa_reset(services, token: str) -> str | None:
    """Cancel a pending request by the notice email's token. Returns the user id, or None."""
    if not token or len(token) > 100:
        return None
    async with services.sessionmaker() as db, db.begin():
        req = (
            await db.execute(select(MfaResetRequest).where(MfaResetRequest.cancel_hash == _cancel_hash(services, token)))
        ).scalar_one_or_none()
        if req is None or req.state != "pending":
            return None
        req.state, req.closed_at = "cancelled", utcnow()
        return req.user_id


async def complete_mfa_reset(services, user_id: str) -> None:
    async with services.sessionmaker() as db, db.begin():
        await db.execute(
            update(MfaResetRequest)
            .where(MfaResetRequest.user_id == user_id, MfaResetRequest.state == "pending")
            .values(state="completed", closed_at=utcnow())
        )
