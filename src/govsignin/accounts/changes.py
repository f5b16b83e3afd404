"""Changing sign-in details from the account pages: email, password, phone, authenticator app.

Each change is one short transaction; callers have already checked the password (re-prompt),
the code sent to the new address or phone, and the 48-hour block after a password reset.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.accounts.service import normalise_email
from govsignin.db.base import utcnow


class EmailTaken(Exception):
    pass


async def change_email(services, user_id: str, new_email: str) -> None:
    try:
        async with services.sessionmaker() as db, db.begin():
            await db.execute(
                update(User).where(User.id == user_id).values(email=normalise_email(new_email), email_verified=True)
            )
    except IntegrityError as exc:
        raise EmailTaken() from exc


async def change_password(services, user_id: str, new_password: str) -> None:
    new_hash = await services.accounts.passwords.hash(new_password)
    async with services.sessionmaker() as db, db.begin():
        await db.execute(
            update(PasswordCredential)
            .where(PasswordCredential.user_id == user_id)
            .values(hash=new_hash, updated_at=utcnow())
        )


async def change_phone(services, user_id: str, phone: str) -> None:
    """The verified phone number, and the number of a text-message second factor if there is one."""
    async with services.sessionmaker() as db, db.begin():
        await db.execute(
            update(User).where(User.id == user_id).values(phone_number=phone, phone_number_verified=True)
        )
        await db.execute(
            update(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.kind == "sms").values(phone_number=phone)
        )


async def set_auth_app(services, user_id: str, secret: str, *, as_backup: bool = False) -> str:
    """The account's one authenticator app: replace its secret if it has one ("replaced"), else
    add it ("added") as the default method (the old default becomes a backup) or, `as_backup`,
    as a backup. A unique index on mfa_methods keeps it to one app per account."""
    encrypted = services.accounts.box.encrypt(secret)
    async with services.sessionmaker() as db, db.begin():
        existing = (
            await db.execute(select(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.kind == "auth_app"))
        ).scalars().first()
        if existing is not None:
            existing.secret_encrypted = encrypted
            existing.created_at = utcnow()
            return "replaced"
        if not as_backup:
            await db.execute(
                update(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.priority == "default").values(priority="backup")
            )
        db.add(MfaMethod(user_id=user_id, kind="auth_app", priority="backup" if as_backup else "default",
                         secret_encrypted=encrypted))
    return "added"


async def mfa_methods(services, user_id: str) -> list[MfaMethod]:
    async with services.sessionmaker() as db:
        rows = await db.execute(select(MfaMethod).where(MfaMethod.user_id == user_id).order_by(MfaMethod.id))
        return list(rows.scalars().all())


async def add_backup_method(services, user_id: str, kind: str, *, secret: str | None = None,
                            phone: str | None = None) -> None:
    """A backup second factor next to the default one (One Login: one default, backups besides).
    An authenticator app goes through set_auth_app (one per account)."""
    if kind == "auth_app":
        await set_auth_app(services, user_id, secret, as_backup=True)
        return
    async with services.sessionmaker() as db, db.begin():
        db.add(MfaMethod(
            user_id=user_id, kind=kind, priority="backup", phone_number=phone,
            secret_encrypted=services.accounts.box.encrypt(secret) if secret else None,
        ))


async def switch_default_method(services, user_id: str, backup_id: int) -> bool:
    """The backup becomes the default and the default a backup. False if it is not a backup."""
    async with services.sessionmaker() as db, db.begin():
        backup = await db.get(MfaMethod, backup_id)
        if backup is None or backup.user_id != user_id or backup.priority != "backup":
            return False
        await db.execute(
            update(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.priority == "default").values(priority="backup")
        )
        backup.priority = "default"
    return True
