"""One interface for short-lived shared state, with a database and a Redis implementation.

Sessions, journeys, authorization codes, access tokens, lockout counters and replay caches all
live behind it, so no instance keeps in memory what another instance needs.
"""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def get_many(self, *keys: str) -> list[str | None]:
        """Several keys in one trip, in order."""

    async def set(self, key: str, value: str, ttl: float) -> None: ...

    async def set_many(self, items) -> None:
        """Several (key, value, ttl) in one trip."""

    def transaction(self):
        """`async with store.transaction() as tx:` the same operations in one trip's worth of
        work: one connection and one commit on SQL; on Redis, the store itself."""

    async def replace(self, key: str, value: str, ttl: float) -> None:
        """Write only over a live entry: a key deleted (or expired) meanwhile stays gone. For
        records loaded at the start of a request and written back at its end (sessions)."""

    async def add(self, key: str, value: str, ttl: float) -> bool:
        """Set only if absent (or expired). True if this call set it: the replay check."""

    async def pop(self, key: str) -> str | None:
        """Atomically read and delete: single-use values."""

    async def delete(self, *keys: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one; the TTL starts when the counter is created, not at every increment."""

    async def ping(self) -> None: ...

    async def purge_expired(self) -> int: ...
