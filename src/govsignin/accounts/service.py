"""Accounts: finding people, checking passwords and authenticator codes, creating accounts."""

from __future__ import annotations

import secrets
import time

import pyotp
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from govsignin.accounts.models import MfaMethod, PasswordCredential, User
from govsignin.accounts.passwords import Passwords
from govsignin.crypto import SecretBox
from govsignin.db.base import utcnow
from govsignin.store import Store


class AccountExists(Exception):
    pass


def normalise_email(email: str) -> str:
    return email.strip().lower()


class Accounts:
    def __init__(self, settings, sessionmaker: async_sessionmaker, store: Store):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.store = store
        self.passwords = Passwords(settings)
        self.box = SecretBox(settings.key_encryption_key)

    async def get(self, user_id: str) -> User | None:
        async with self.sessionmaker() as db:
            return await db.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        async with self.sessionmaker() as db:
            return (
                await db.execute(select(User).where(User.email == normalise_email(email)))
            ).scalar_one_or_none()

    async def check_password(self, user: User | None, password: str) -> bool:
        """One argon2 verification whether or not the account exists (no timing oracle)."""
        encoded = None
        if user is not None:
            async with self.sessionmaker() as db:
                cred = await db.get(PasswordCredential, user.id)
                encoded = cred.hash if cred else None
        ok = await self.passwords.verify(encoded, password)
        if ok and self.passwords.needs_rehash(encoded):
            new_hash = await self.passwords.hash(password)
            async with self.sessionmaker() as db, db.begin():
                await db.execute(
                    update(PasswordCredential)
                    .where(PasswordCredential.user_id == user.id)
                    .values(hash=new_hash, updated_at=utcnow())
                )
        return ok

    async def auth_app_secret(self, user_id: str) -> str | None:
        async with self.sessionmaker() as db:
            method = (
                await db.execute(
                    select(MfaMethod).where(MfaMethod.user_id == user_id, MfaMethod.kind == "auth_app")
                )
            ).scalars().first()
        return self.box.decrypt(method.secret_encrypted) if method else None

    async def has_second_factor(self, user_id: str) -> bool:
        async with self.sessionmaker() as db:
            return (
                await db.execute(select(MfaMethod.id).where(MfaMethod.user_id == user_id).limit(1))
            ).first() is not None

    async def check_auth_app_code(self, user_id: str, code: str) -> bool:
        """RFC 6238 code within the configured window, each time step usable once."""
        secret = await self.auth_app_secret(user_id)
        if secret is None or not (code.isdigit() and len(code) == 6):
            return False
        totp = pyotp.TOTP(secret)
        now = int(time.time() // totp.interval)
        window = self.settings.totp_window
        for step in range(now - window, now + window + 1):
            if secrets.compare_digest(totp.generate_otp(step), code):
                # Replay check: a code seen once is refused for the rest of its life.
                fresh = await self.store.add(f"totp-used:{user_id}:{step}", "1", 30 * (2 * window + 2))
                return fresh
        return False

    async def create(
        self,
        email: str,
        password: str,
        phone: str | None = None,
        totp_secret: str | None = None,
    ) -> User:
        """An operator-made account (`govsignin accounts add`, tests): an authenticator app if a
        secret is given, else text messages to the phone if given, else no second factor."""
        from govsignin.accounts.registration import SecondFactor, write_account  # it imports us

        if totp_secret:
            factor = SecondFactor("auth_app", totp_secret=totp_secret)
        elif phone:
            factor = SecondFactor("sms", phone=phone)
        else:
            factor = None
        password_hash = await self.passwords.hash(password)
        return await write_account(
            self.sessionmaker, self.box, email=email, password_hash=password_hash, factor=factor, phone=phone
        )
