"""Password hashing: argon2id at OWASP's parameters (m=19 MiB, t=2, p=1), off the event loop.

Hashes run in worker threads behind a limiter of one slot per core: a burst of sign-ins queues
for CPU instead of stalling the event loop that serves token and userinfo requests.
"""

from __future__ import annotations

import os

import anyio
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from govsignin.config import Settings


class Passwords:
    def __init__(self, settings: Settings):
        self.hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        self.limiter = anyio.CapacityLimiter(max(1, os.cpu_count() or 1))
        # Verified when an email has no account, so both paths cost one argon2 verification.
        self._dummy = self.hasher.hash("not-a-real-password-0")

    def hash_sync(self, password: str) -> str:
        return self.hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self.hasher.hash, password, limiter=self.limiter)

    def _verify(self, encoded: str, password: str) -> bool:
        try:
            return self.hasher.verify(encoded, password)
        except (VerificationError, InvalidHashError):
            return False

    async def verify(self, encoded: str | None, password: str) -> bool:
        ok = await anyio.to_thread.run_sync(
            self._verify, encoded or self._dummy, password, limiter=self.limiter
        )
        return ok and encoded is not None

    def needs_rehash(self, encoded: str) -> bool:
        return self.hasher.check_needs_rehash(encoded)
