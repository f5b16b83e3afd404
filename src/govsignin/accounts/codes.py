"""One-time security codes sent by email or text message: issue, verify, limit re-sends.

Small on purpose; every flow that sends a code uses it (account creation, sign-in by text
message, password reset):

    codes = OneTimeCodes.of(services)               # or OneTimeCodes(settings, store, lockouts)
    sent = await codes.issue(purpose, subject, scope=journey.id)            # first send
    sent = await codes.issue(purpose, subject, scope=journey.id, resend=True)
    if sent.blocked: ...            # too many re-sends: "You asked to resend ... too many times"
    else: send sent.code by email/SMS (the caller picks the template and language)
    result = await codes.verify(purpose, subject, entered, scope=journey.id)
    result is Verified.OK | Verified.WRONG | Verified.BLOCKED

- `purpose` names the code's use and fixes its lifetime and lockout rule (PURPOSES below):
  a code issued for one purpose never verifies for another.
- `subject` is what the code was sent to or for (an email address, a phone number, a user id);
  lockouts count per subject, so starting a new journey does not reset them.
- `scope` (usually the journey id) keeps two browsers' codes for the same subject apart.

Only an HMAC of the code (keyed, and bound to purpose, scope and subject) is stored, in the
shared store with the code's lifetime, so a store dump does not reveal codes. Codes are 6 random
digits from `secrets`; checks use `hmac.compare_digest`. A correct code is single use (popped).
Wrong codes count through `accounts/lockout.py` rules: "code" (sign-in: 6, then 2 hours) or
"registering" (account creation and recovery: 6, then 15 minutes). Re-sends count through the
"resend" rule (6 re-sends, then 2 hours).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Purpose:
    name: str
    ttl: int  # seconds a code stays valid
    lockout: str  # the lockout rule wrong codes count against


PURPOSES: dict[str, Purpose] = {
    p.name: p
    for p in (
        Purpose("create-email", 3600, "registering"),  # emailAcctCreationOtpCodeTtlDuration
        Purpose("create-sms", 900, "registering"),
        Purpose("sign-in-sms", 900, "code"),
        Purpose("reset-password-email", 900, "registering"),
        Purpose("change-email", 900, "registering"),
        Purpose("change-phone", 900, "registering"),
    )
}


class Verified(Enum):
    OK = "ok"
    WRONG = "wrong"  # wrong, expired or never issued: the citizen may try again
    BLOCKED = "blocked"  # this attempt started a block, or one was already in force


@dataclass(frozen=True)
class Issued:
    code: str | None  # None when blocked
    blocked: bool = False
    ttl: int = 0


def _digest(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


class OneTimeCodes:
    def __init__(self, settings, store, lockouts):
        self.settings = settings
        self.store = store
        self.lockouts = lockouts
        self._key = "otp:" + settings.client_secret_hash_key

    @classmethod
    def of(cls, services) -> OneTimeCodes:
        return cls(services.settings, services.store, services.lockouts)

    def _store_key(self, purpose: str, subject: str, scope: str) -> str:
        return "otp:" + _digest(self._key, "slot", purpose, scope, subject.strip().lower())[:48]

    async def is_blocked(self, purpose: str, subject: str) -> bool:
        """Blocked from entering codes (too many wrong ones) for this purpose's rule."""
        return await self.lockouts.is_blocked(PURPOSES[purpose].lockout, subject)

    async def resend_blocked(self, subject: str) -> bool:
        return await self.lockouts.is_blocked("resend", subject)

    async def issue(self, purpose: str, subject: str, *, scope: str = "", resend: bool = False) -> Issued:
        """A fresh code (replacing any earlier one). With resend=True the re-send counts toward
        the "resend" rule; the request that exceeds it is refused (Issued.blocked)."""
        rule = PURPOSES[purpose]
        if await self.resend_blocked(subject):
            return Issued(None, blocked=True)
        if resend and await self.lockouts.fail("resend", subject):
            return Issued(None, blocked=True)
        code = f"{secrets.randbelow(1_000_000):06d}"
        digest = _digest(self._key, "code", purpose, scope, subject.strip().lower(), code)
        await self.store.set(self._store_key(purpose, subject, scope), digest, rule.ttl)
        return Issued(code, ttl=rule.ttl)

    async def verify(self, purpose: str, subject: str, code: str, *, scope: str = "") -> Verified:
        """Check an entered code. OK pops it (single use) and clears the wrong-code count."""
        rule = PURPOSES[purpose]
        if await self.lockouts.is_blocked(rule.lockout, subject):
            return Verified.BLOCKED
        code = (code or "").replace(" ", "")
        key = self._store_key(purpose, subject, scope)
        stored = await self.store.get(key)
        if stored is not None and code.isdigit() and len(code) == 6:
            candidate = _digest(self._key, "code", purpose, scope, subject.strip().lower(), code)
            if hmac.compare_digest(candidate, stored) and await self.store.pop(key) is not None:
                await self.lockouts.clear(rule.lockout, subject)
                return Verified.OK
        if await self.lockouts.fail(rule.lockout, subject):
            await self.store.delete(key)  # a block also kills the outstanding code
            return Verified.BLOCKED
        return Verified.WRONG

    async def discard(self, purpose: str, subject: str, *, scope: str = "") -> None:
        await self.store.delete(self._store_key(purpose, subject, scope))
