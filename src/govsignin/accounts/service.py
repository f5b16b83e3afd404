"""Accounts: finding people, checking passwords and authenticator codes, creating accounts."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass

import pyotp
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from govsignin.accounts.models import MfaMethod, MfaResetRequest, PasswordCredential, RecoveryCode, User
from govsignin.accounts.passwords import HashingBusy, Passwords
from govsignin.crypto import SecretBox
from govsignin.db.base import utcnow
from govsignin.db.reads import Query
from govsignin.store import Store


class AccountExists(Exception):
    pass


@dataclass(frozen=True)
class SignInFacts:
    """What the sign-in journey needs of an account once it is named (enter-email), read in one
    statement instead of a User, its methods, its recovery codes and its reset requests apart."""

    user_id: str
    internal_sub: str
    email: str
    methods: list[tuple[int, str, str, str | None]]  # (id, kind, priority, phone_number), by id
    recovery_codes_left: int
    reset_available_at: dt.datetime | None  # the newest pending lost-factor request's
    email_verified: bool = True  # False: imported from a system that had not verified it


def _sign_in_facts(where):
    codes_left = (
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == User.id, RecoveryCode.used_at.is_(None)).scalar_subquery()
    )
    reset_at = (
        select(MfaResetRequest.available_at)
        .where(MfaResetRequest.user_id == User.id, MfaResetRequest.state == "pending")
        .order_by(MfaResetRequest.requested_at.desc()).limit(1).scalar_subquery()
    )
    return (
        select(User.id, User.internal_subject_id, User.email, codes_left, reset_at,
               MfaMethod.id, MfaMethod.kind, MfaMethod.priority, MfaMethod.phone_number, User.email_verified)
        .outerjoin(MfaMethod, MfaMethod.user_id == User.id)
        .where(where)
        .order_by(MfaMethod.id)
    )


_FACTS_BY_EMAIL = Query(_sign_in_facts(User.email == bindparam("email")))
_FACTS_BY_ID = Query(_sign_in_facts(User.id == bindparam("user_id")))
_AUTH_APP_SECRET = Query(  # one app per account (a unique index); the default first all the same
    select(MfaMethod.secret_encrypted)
    .where(MfaMethod.user_id == bindparam("user_id"), MfaMethod.kind == "auth_app")
    .order_by(MfaMethod.priority != "default", MfaMethod.id).limit(1)
)
_PASSWORD_HASH = Query(select(PasswordCredential.hash).where(PasswordCredential.user_id == bindparam("user_id")))


def normalise_email(email: str) -> str:
    return email.strip().lower()


class Accounts:
    def __init__(self, settings, sessionmaker: async_sessionmaker, store: Store):
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.engine = sessionmaker.kw["bind"]  # hot reads run as Core statements on it (db/reads.py)
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

    async def sign_in_facts(self, *, email: str | None = None, user_id: str | None = None) -> SignInFacts | None:
        """The account by email (normalised) or id, with its second factors, or None."""
        stmt, params = (_FACTS_BY_EMAIL, {"email": normalise_email(email)}) if email is not None else (
            _FACTS_BY_ID, {"user_id": user_id})
        rows = await stmt.all(self.engine, **params)
        if not rows:
            return None
        first = rows[0]
        methods = [(r[5], r[6], r[7], r[8]) for r in rows if r[5] is not None]
        return SignInFacts(first[0], first[1], first[2], methods, first[3] or 0, first[4], bool(first[9]))

    async def confirm_email(self, user_id: str) -> None:
        """The account's address is proven (a code sent to it came back)."""
        async with self.sessionmaker() as db, db.begin():
            await db.execute(update(User).where(User.id == user_id).values(email_verified=True))

    async def check_password(self, user: User | str | None, password: str) -> bool:
        """One argon2 verification whether or not the account exists (no timing oracle).
        `user`: the User or its id."""
        encoded = None
        user_id = user if isinstance(user, str) or user is None else user.id
        if user_id is not None:
            row = await _PASSWORD_HASH.first(self.engine, user_id=user_id)
            encoded = row[0] if row else None
        if encoded is not None and not encoded.startswith("$argon2"):  # imported, not yet upgraded
            return await self._check_legacy_password(user_id, encoded, password)
        ok = await self.passwords.verify(encoded, password)
        if ok and self.passwords.needs_rehash(encoded):
            try:
                new_hash = await self.passwords.hash(password)
            except HashingBusy:
                return ok  # the stronger hash can wait for the next sign-in
            async with self.sessionmaker() as db, db.begin():
                await db.execute(
                    update(PasswordCredential)
                    .where(PasswordCredential.user_id == user_id)
                    .values(hash=new_hash, updated_at=utcnow())
                )
        return ok

    async def _check_legacy_password(self, user_id: str, encoded: str, password: str) -> bool:
        """An imported account's first sign-in (accounts/legacy_hashes.py): the old hash checked
        with libpass, then at once replaced by argon2id, so the old hash is gone. Success costs
        one old-hash check and one argon2id hash. A wrong password also costs one argon2
        verification, so a fast old scheme (md5-crypt, {SSHA}) does not answer sooner than an
        email with no account."""
        from govsignin.accounts import legacy_hashes

        # On the hashing threads and inside their bounded queue, like every argon2 hash.
        ok = await self.passwords._on_pool(legacy_hashes.verify, encoded, password)
        if not ok:
            await self.passwords.verify(None, password)
            return False
        new_hash = await self.passwords.hash(password)
        async with self.sessionmaker() as db, db.begin():
            result = await db.execute(  # only if the old hash is still there: a concurrent change wins
                update(PasswordCredential)
                .where(PasswordCredential.user_id == user_id, PasswordCredential.hash == encoded)
                .values(hash=new_hash, updated_at=utcnow())
            )
        return result.rowcount == 1

    async def auth_app_secret(self, user_id: str) -> str | None:
        row = await _AUTH_APP_SECRET.first(self.engine, user_id=user_id)  # one column
        return self.box.decrypt(row[0]) if row else None

    async def has_second_factor(self, user_id: str) -> bool:
        async with self.sessionmaker() as db:
            return (
                await db.execute(select(MfaMethod.id).where(MfaMethod.user_id == user_id).limit(1))
            ).first() is not None

    async def check_auth_app_code(self, user_id: str, code: str) -> bool:
        """RFC 6238 code within the configured window, each time step usable once."""
        secret = await self.auth_app_secret(user_id)
        return secret is not None and await self.check_totp(user_id, secret, code)

    async def check_totp(self, user_id: str, secret: str, code: str, *, refuse_used: bool = True) -> bool:
        """A code of `secret` (the account's app, or one being set up for it), and its time step
        marked used for the account: a step used once is refused for the rest of its life, so the
        code that confirms a new app cannot sign in again. A new app's confirmation passes
        `refuse_used=False`: its step may be the one the citizen just signed in with (the old
        app's code), and only this session has seen the new secret."""
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            return False
        totp = pyotp.TOTP(secret)
        now = int(time.time() // totp.interval)
        window = self.settings.totp_window
        for step in range(now - window, now + window + 1):
            if secrets.compare_digest(totp.generate_otp(step), code):
                # Replay check: a code seen once is refused for the rest of its life.
                fresh = await self.store.add(f"totp-used:{user_id}:{step}", "1", 30 * (2 * window + 2))
                return fresh or not refuse_used
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
