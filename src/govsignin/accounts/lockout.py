"""Lockouts, with One Login's production numbers (onelogin-contract.md §2), and a long-window
cap on consecutive failures per account (NIST SP 800-63B §5.2.2: at most 100).

Counters live in the security store (the `security_state` table, store.create_security_store):
the database even when Redis holds everything else, so neither a Redis eviction nor a restart
lifts a block, and a block holds across instances. Keys are hashes, so emails never appear.

A counter and its block are one key: its value is the number of attempts, and a block sets it
above the rule's maximum for the block's length. An attempt is counted *before* the secret is
checked (`attempt`), and the answer is decided from the incremented value, so concurrent
attempts cannot all pass a check made before any of them counted:

    attempt = await lockouts.attempt("code", account(user_id))
    if attempt.blocked: ...                 # nothing is checked
    elif correct: await attempt.succeeded()  # clears the counters (and the long-window one)
    elif await attempt.failed(): ...         # this failure started a block

Subjects name what is counted, so counters of different meanings never meet:
`account(user_id)`, `address(email or phone being registered)`, `journey(journey id)`. A
stranger can count only against journeys of their own and addresses being registered, never
against an existing account's recovery.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from govsignin.config import Settings
from govsignin.store import Store


@dataclass(frozen=True)
class Rule:
    name: str
    max_attempts: int
    count_ttl: int  # how long failures are remembered
    block_seconds: int
    long_window: bool = False  # failures also count towards the account's consecutive-failure cap


def rules(settings: Settings) -> dict[str, Rule]:
    return {
        # Passwords, per account (per address when no account has it): 6, then 2 hours.
        "password": Rule("password", settings.max_password_retries, settings.lockout_seconds, settings.lockout_seconds,
                         long_window=True),
        # Second-factor codes of an account (authenticator app, text message, recovery code), at
        # sign-in, in a password reset and in a lost-factor recovery alike: 6, then 2 hours.
        "code": Rule("code", settings.max_code_retries, settings.code_retry_count_ttl, settings.lockout_seconds,
                     long_window=True),
        # Asking to reset the password: 6 requests, then 15 minutes.
        "reset_request": Rule("reset_request", settings.max_reset_password_requests, 900, 900),
        # Wrong codes while registering something new (an account's email and phone, a new
        # authenticator app, a changed email or phone): per journey and per address, 6, then
        # 15 minutes (One Login's reducedLockoutDuration).
        "registering": Rule("registering", settings.max_code_retries, settings.code_retry_count_ttl, 900),
        # Wrong emailed codes in a recovery (password reset, lost second factor): per journey
        # only, so nobody can block the owner's own recovery; 6, then 15 minutes and the code dies.
        "recovery_email": Rule("recovery_email", settings.max_code_retries, settings.code_retry_count_ttl, 900),
        # Asking for a code to be sent again: 6 re-sends are sent; asking a 7th time blocks for 2 hours.
        "resend": Rule("resend", 7, settings.lockout_seconds, settings.lockout_seconds),
    }


def account(user_id: str) -> str:
    return f"account:{user_id}"


def address(value: str) -> str:
    return f"address:{value.strip().lower()}"


def journey(journey_id: str) -> str:
    return f"journey:{journey_id}"


def password_subject(user_id: str | None, email: str | None) -> str:
    """Passwords count per account; an address with no account counts the same way, so an
    unknown email behaves exactly like a known one."""
    return account(user_id) if user_id else address(email or "")


def _subject(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]


def _key(kind: str, subject: str) -> str:
    return f"fail:{kind}:{_subject(subject)}"


def _long_key(kind: str, subject: str) -> str:
    return f"consecutive:{kind}:{_subject(subject)}"


@dataclass
class Attempt:
    """One counted attempt (Lockouts.attempt): decide with `blocked`, then report the outcome."""

    lockouts: Lockouts
    rule: Rule
    counts: dict[str, int]  # key → the value this attempt incremented it to
    long_key: str | None  # the consecutive-failure counter this attempt counts on, if its rule has one
    blocked: bool

    async def succeeded(self) -> None:
        """The secret was right: forget the failures (only a success resets the long window)."""
        keys = list(self.counts)
        if self.long_key:
            keys.append(self.long_key)
        await self.lockouts.store.delete(*keys)

    async def failed(self) -> bool:
        """The secret was wrong. True when the account (or subject) is now blocked."""
        rule, store = self.rule, self.lockouts.store
        blocked = False
        for key, count in self.counts.items():
            if count >= rule.max_attempts:
                await store.set(key, str(rule.max_attempts + 1), rule.block_seconds)
                blocked = True
        if self.long_key:
            settings = self.lockouts.settings
            window = settings.consecutive_failure_seconds
            failures = await store.incr(self.long_key, window)
            if failures >= settings.max_consecutive_failures:
                # Blocked until a password reset or a lost-factor recovery lifts it (lift()), or
                # the window ends.
                await store.set_many([(key, str(rule.max_attempts + 1), window) for key in self.counts])
                blocked = True
        return blocked


class Lockouts:
    def __init__(self, settings: Settings, store: Store):
        self.settings = settings
        self.rules = rules(settings)
        self.store = store

    async def attempt(self, kind: str, *subjects: str) -> Attempt:
        """Count an attempt against each subject before anything is checked. `blocked` when any
        counter is past the rule's maximum (a block in force, or concurrent attempts that used up
        what was left). Rules with a consecutive-failure cap ("password", "code") count it on the
        first subject: the account (or, for a password, an address with no account, which so
        costs the same work as a known one)."""
        rule = self.rules[kind]
        counts: dict[str, int] = {}
        blocked = False
        for subject in subjects:
            key = _key(kind, subject)
            counts[key] = count = await self.store.incr(key, rule.count_ttl)
            if count > rule.max_attempts:
                blocked = True
                break  # the other subjects are not counted for an attempt that is refused
        long_key = _long_key(kind, subjects[0]) if rule.long_window and subjects else None
        return Attempt(self, rule, counts, long_key, blocked)

    async def is_blocked(self, kind: str, subject: str) -> bool:
        """Whether `subject` is blocked now (to say so before asking for anything)."""
        raw = await self.store.get(_key(kind, subject))
        return raw is not None and int(raw) > self.rules[kind].max_attempts

    async def held_until_recovery(self, kind: str, user_id: str) -> bool:
        """Whether the account reached the consecutive-failure cap for `kind`: its block ends with
        a password reset ("password") or new second factors ("code"), not after 2 hours."""
        raw = await self.store.get(_long_key(kind, account(user_id)))
        return raw is not None and int(raw) >= self.settings.max_consecutive_failures

    async def fail(self, kind: str, subject: str) -> bool:
        """Count one event after the fact (a request, a re-send). True when this one starts a block."""
        rule, key = self.rules[kind], _key(kind, subject)
        count = await self.store.incr(key, rule.count_ttl)
        if count >= rule.max_attempts:
            await self.store.set(key, str(rule.max_attempts + 1), rule.block_seconds)
            return True
        return False

    async def clear(self, kind: str, subject: str) -> None:
        await self.store.delete(_key(kind, subject))

    async def lift(self, kind: str, user_id: str) -> None:
        """A password reset (kind "password") or a replaced second factor (kind "code") lifts the
        account's block and its consecutive-failure count."""
        await self.store.delete(_key(kind, account(user_id)), _long_key(kind, account(user_id)))
