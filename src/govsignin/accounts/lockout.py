"""Lockouts, with One Login's production numbers (onelogin-contract.md §2).

Counters and blocks live in the shared store, so a block holds across instances, and across
restarts when the store is the database (or a persistent Redis). Keys are hashes, so emails
never appear in the store.
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


def rules(settings: Settings) -> dict[str, Rule]:
    return {
        "password": Rule("password", settings.max_password_retries, settings.lockout_seconds, settings.lockout_seconds),
        "code": Rule("code", settings.max_code_retries, settings.code_retry_count_ttl, settings.lockout_seconds),
        # Asking to reset the password: 6 requests, then 15 minutes.
        "reset_request": Rule("reset_request", settings.max_reset_password_requests, 900, 900),
        # Wrong codes while registering (account creation, a new phone) or in account recovery:
        # 6, then 15 minutes (One Login's reducedLockoutDuration).
        "registering": Rule("registering", settings.max_code_retries, settings.code_retry_count_ttl, 900),
        # Asking for a code to be sent again: 6 re-sends are sent; asking a 7th time blocks for 2 hours.
        "resend": Rule("resend", 7, settings.lockout_seconds, settings.lockout_seconds),
    }


def _subject(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:40]


class Lockouts:
    def __init__(self, settings: Settings, store: Store):
        self.rules = rules(settings)
        self.store = store

    async def is_blocked(self, kind: str, subject: str) -> bool:
        return await self.store.get(f"block:{kind}:{_subject(subject)}") is not None

    async def fail(self, kind: str, subject: str) -> bool:
        """Count one failure. True when this failure starts a block."""
        rule, key = self.rules[kind], _subject(subject)
        count = await self.store.incr(f"fail:{kind}:{key}", rule.count_ttl)
        if count >= rule.max_attempts:
            await self.store.set(f"block:{kind}:{key}", "1", rule.block_seconds)
            await self.store.delete(f"fail:{kind}:{key}")
            return True
        return False

    async def clear(self, kind: str, subject: str, store: Store | None = None) -> None:
        """`store`: a store transaction to do it in (with the journey's step)."""
        await (store or self.store).delete(f"fail:{kind}:{_subject(subject)}")
