"""Creating a citizen's account at the end of the create-account journey, in one transaction.

Nothing is written while the citizen goes through the pages: the verified email, the argon2id
hash of the new password and the chosen second factor wait in the journey (the shared store,
1 hour). `create_account` writes the user, the password and the factor together, so an
abandoned journey leaves no half-made account.

`default_mfa_kind(services, user_id)` says which second factor sign-in asks for:
"auth_app", "sms", "passkey" or None.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.accounts.passkeys import NewPasskey, Passkeys
from govsignin.accounts.service import AccountExists, normalise_email

KIND_ORDER = ("auth_app", "sms", "passkey")


@dataclass(frozen=True)
class SecondFactor:
    kind: str  # auth_app | sms | passkey
    totp_secret: str | None = None
    phone: str | None = None  # E.164
    passkey: NewPasskey | None = None


async def create_account(services, *, email: str, password_hash: str, factor: SecondFactor) -> User:
    """Write the account with its password and second factor, or nothing (AccountExists)."""
    return await write_account(
        services.sessionmaker, services.accounts.box, email=email, password_hash=password_hash,
        factor=factor, phone=factor.phone if factor.kind == "sms" else None,
    )


async def write_account(
    sessionmaker, box, *, email: str, password_hash: str, factor: SecondFactor | None, phone: str | None
) -> User:
    """The one place an account is written: user, password and (optional) factor in one transaction."""
    user = User(
        id=str(uuid.uuid4()),
        internal_subject_id=secrets.token_urlsafe(32),
        email=normalise_email(email),
        email_verified=True,
        phone_number=phone,
        phone_number_verified=phone is not None,
    )
    try:
        async with sessionmaker() as db, db.begin():
            db.add(user)
            await db.flush()
            db.add(PasswordCredential(user_id=user.id, hash=password_hash))
            if factor is None:
                pass  # operators may create an account without a second factor (Cl only)
            elif factor.kind == "auth_app":
                db.add(MfaMethod(user_id=user.id, kind="auth_app", priority="default",
                                 secret_encrypted=box.encrypt(factor.totp_secret)))
            elif factor.kind == "sms":
                db.add(MfaMethod(user_id=user.id, kind="sms", priority="default", phone_number=factor.phone))
            elif factor.kind == "passkey":
                db.add(MfaMethod(user_id=user.id, kind="passkey", priority="default"))
                Passkeys.add_to(db, user.id, factor.passkey)
            else:
                raise ValueError(f"unknown second factor {factor.kind!r}")
    except IntegrityError as exc:
        raise AccountExists(f"An account with the email address {user.email} already exists.") from exc
    return user


async def add_first_factor(services, user_id: str, factor: SecondFactor) -> bool:
    """An existing account with no second factor (imported without one) gets `factor` as its
    default, in one transaction; False, writing nothing, if it has one by then (another tab)."""
    async with services.sessionmaker() as db, db.begin():
        if db.bind.dialect.name == "postgresql":  # two tabs at once: the second waits, then sees the first
            await db.execute(select(User.id).where(User.id == user_id).with_for_update())
        has = (await db.execute(select(func.count()).select_from(MfaMethod).where(MfaMethod.user_id == user_id))).scalar()
        if has:
            return False
        if factor.kind == "auth_app":
            db.add(MfaMethod(user_id=user_id, kind="auth_app", priority="default",
                             secret_encrypted=services.accounts.box.encrypt(factor.totp_secret)))
        elif factor.kind == "sms":
            db.add(MfaMethod(user_id=user_id, kind="sms", priority="default", phone_number=factor.phone))
            await db.execute(update(User).where(User.id == user_id).values(phone_number=factor.phone,
                                                                           phone_number_verified=True))
        elif factor.kind == "passkey":
            db.add(MfaMethod(user_id=user_id, kind="passkey", priority="default"))
            Passkeys.add_to(db, user_id, factor.passkey)
        else:
            raise ValueError(f"unknown second factor {factor.kind!r}")
    return True


async def default_mfa_kind(services, user_id: str) -> str | None:
    """The kind of the default second factor (else the first one set up), or None."""
    async with services.sessionmaker() as db:
        rows = (
            await db.execute(select(MfaMethod.kind, MfaMethod.priority).where(MfaMethod.user_id == user_id).order_by(MfaMethod.id))
        ).all()
    kinds = [k for k, p in rows if p == "default" and k in KIND_ORDER] or [k for k, _ in rows if k in KIND_ORDER]
    return kinds[0] if kinds else None


async def sms_phone(services, user_id: str) -> str | None:
    async with services.sessionmaker() as db:
        row = (
            await db.execute(
                select(MfaMethod.phone_number)
                .where(MfaMethod.user_id == user_id, MfaMethod.kind == "sms")
                .order_by(MfaMethod.priority != "default", MfaMethod.id)
                .limit(1)
            )
        ).first()
    return row[0] if row else None
