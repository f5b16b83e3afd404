"""One-time security codes sent by email or text message: issue, verify, limit re-sends.

Small on purpose; every flow that sends a code uses it (account creation, sign-in by text
message, password reset):

    codes = OneTimeCodes.of(services)               # or OneTimeCodes(settings, store, lockouts)
    sent = await codes.issue(purpose, subject, scope=journey.id, journey=journey.id,
                             destination=email_or_phone, channel="email", ip=client_ip)  # first send
    sent = await codes.issue(..., resend=True)      # "send the code again"
    if sent.blocked: ...            # a send limit: sent.refused says which (messaging/limits.py)
    else: send sent.code by email/SMS (the caller picks the template and language)
    result = await codes.verify(purpose, subject, entered, scope=journey.id)
    result is Verified.OK | Verified.WRONG | Verified.BLOCKED

- `purpose` names the code's use and fixes its lifetime and lockout rule (PURPOSES below):
  a code issued for one purpose never verifies for another.
- `subject` is what the code was sent to or for (an email address, a phone number, a user id).
- `scope` (usually the journey id) keeps two browsers' codes for the same subject apart.

Only an HMAC of the code (keyed, and bound to purpose, scope and subject) is stored, in the
shared store with the code's lifetime, so a store dump does not reveal codes. Codes are 6 random
digits from `secrets`; checks use `hmac.compare_digest`. A correct code is single use (popped).
Each entered code is counted before it is checked (accounts/lockout.py), against what its
purpose's rule counts:
- "code" (a text-message code of an account's second factor, at sign-in or in a reset): the
  account, shared with authenticator-app and recovery codes; 6, then 2 hours;
- "registering" (a code sent to an address being registered): the journey and the address;
  6, then 15 minutes. Never an existing account's counter: a stranger starting "Create an
  account" with someone's email cannot block that person's sign-in or recovery;
- "recovery_email" (an emailed code in a recovery): the journey only; 6, then the code dies.

Sending is limited in `issue()`, never by the address alone, so nobody can use a citizen's email
address to stop that citizen's codes: re-sends count per purpose and per journey, and per account
when the journey has proven its password (`account=`): `code_resends_max` (6), then refused until
2 hours after the first re-send. Every send with a `destination` also counts through
messaging/limits.py (per journey, per destination per day, per account, per IP, and the SMS
budget); the per-destination daily cap is what protects a mailbox or phone from flooding.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import Enum

from govsignin.accounts import lockout
from govsignin.messaging.limits import Refusal, SendLimits


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
        Purpose("sign-in-email", 900, "registering"),  # an imported account's unverified address
        Purpose("reset-password-email", 900, "recovery_email"),
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
    refused: Refusal | None = None  # the limit that blocked it


def _digest(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


class OneTimeCodes:
    def __init__(self, settings, store, lockouts, audit=None):
        self.settings = settings
        self.store = store
        self.lockouts = lockouts
        self.sends = SendLimits(settings, store, audit)
        self._key = "otp:" + settings.client_secret_hash_key

    @classmethod
    def of(cls, services) -> OneTimeCodes:
        return cls(services.settings, services.store, services.lockouts, services.audit)

    def _store_key(self, purpose: str, subject: str, scope: str) -> str:
        return "otp:" + _digest(self._key, "slot", purpose, scope, subject.strip().lower())[:48]

    @staticmethod
    def counted(rule: str, subject: str, scope: str) -> list[str]:
        """The lockout subjects a wrong code for `rule` counts against (module docstring)."""
        if rule == "code":
            return [lockout.account(subject)]
        scoped = [lockout.journey(scope)] if scope else []
        if rule == "registering":
            return scoped + [lockout.address(subject)]
        return scoped or [lockout.address(subject)]

    async def is_blocked(self, purpose: str, subject: str, *, scope: str = "") -> bool:
        """Blocked from entering codes (too many wrong ones) for this purpose's rule."""
        rule = PURPOSES[purpose].lockout
        return any([await self.lockouts.is_blocked(rule, s) for s in self.counted(rule, subject, scope)])

    async def issue(self, purpose: str, subject: str, *, scope: str = "", resend: bool = False,
                    journey: str | None = None, account: str | None = None, destination: str | None = None,
                    channel: str = "email", ip: str | None = None) -> Issued:
        """A fresh code (replacing any earlier one), or Issued.blocked when a send limit says no.

        `journey`: the journey (or account-page session) asking; re-sends count per purpose and
        journey (else per `scope`). `account`: a user id whose password this journey has proven,
        never one named by an email address alone; re-sends then count per account too.
        `destination`/`channel`/`ip`: where the code goes, counted by messaging/limits.py."""
        rule = PURPOSES[purpose]
        refused = await self._resends(purpose, journey or scope, account, counting=resend)
        if refused is None and destination:
            refused = await self.sends.admit(channel, destination, journey=journey, account=account, ip=ip)
        if refused is not None:
            return Issued(None, blocked=True, refused=refused)
        code = f"{secrets.randbelow(1_000_000):06d}"
        digest = _digest(self._key, "code", purpose, scope, subject.strip().lower(), code)
        await self.store.set(self._store_key(purpose, subject, scope), digest, rule.ttl)
        return Issued(code, ttl=rule.ttl)

    async def _resends(self, purpose: str, journey: str, account: str | None, *, counting: bool) -> Refusal | None:
        """Count a re-send (increment first, then decide), or only look when this is a first send."""
        keys = ["resend:" + _digest(self._key, "resend", purpose, "journey", journey)[:40]]
        if account:
            keys.append("resend:" + _digest(self._key, "resend", purpose, "account", account)[:40])
        window, most = self.settings.lockout_seconds, self.settings.code_resends_max
        over = False
        for key in keys:
            if counting:
                count = await self.store.incr(key, window)
            else:
                count = int(await self.store.get(key) or 0)
            over = over or count > most
        return Refusal.RESENDS if over else None

    async def verify(self, purpose: str, subject: str, code: str, *, scope: str = "") -> Verified:
        """Check an entered code. OK pops it (single use) and clears the wrong-code count."""
        rule = PURPOSES[purpose]
        # Counted first: concurrent guesses cannot pass the cap.
        attempt = await self.lockouts.attempt(rule.lockout, *self.counted(rule.lockout, subject, scope))
        if attempt.blocked:
            return Verified.BLOCKED
        code = (code or "").replace(" ", "")
        key = self._store_key(purpose, subject, scope)
        stored = await self.store.get(key)
        if stored is not None and code.isdigit() and len(code) == 6:
            candidate = _digest(self._key, "code", purpose, scope, subject.strip().lower(), code)
            if hmac.compare_digest(candidate, stored) and await self.store.pop(key) is not None:
                await attempt.succeeded()
                return Verified.OK
        if await attempt.failed():
            await self.store.delete(key)  # a block also kills the outstanding code
            return Verified.BLOCKED
        return Verified.WRONG

    async def discard(self, purpose: str, subject: str, *, scope: str = "") -> None:
        await self.store.delete(self._store_key(purpose, subject, scope))
