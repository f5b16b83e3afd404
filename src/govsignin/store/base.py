"""One interface for short-lived shared state, with a database and a Redis implementation.

Sessions, journeys, authorization codes, access tokens, lockout counters and replay caches all
live behind it, so no instance keeps in memory what another instance needs.
"""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    async def get(self, key: str) -> str | None: ...

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

    async def redeem(self, key: str, receipt_key: str, receipt: str, ttl: float,
                     issue: tuple[str, str, float] | None) -> str:
        """Single use with revocation on replay, decided in one atomic step (a Lua script on
        Redis, one transaction on SQL). If `key` is live: delete it, store `receipt` (the name
        of the entry the redemption issues) under `receipt_key` for `ttl`, store `issue`
        (key, value, ttl) if given, and answer REDEEMED. Otherwise delete the entry an earlier
        redemption's receipt names and answer REPLAYED, or UNKNOWN if there is no receipt."""

    async def delete(self, *keys: str) -> None: ...

    async def incr(self, key: str, ttl: float) -> int:
        """Add one; the TTL starts when the counter is created, not at every increment."""

    async def ping(self) -> None: ...

    async def purge_expired(self) -> int: ...


REDEEMED, REPLAYED, UNKNOWN = "redeemed", "replayed", "unknown"


class WriteBatch:
    """`transaction()` for the stores whose writes go out together at the end (Redis, and SQLite
    on the event loop): reads (get, add, pop, incr) run at once on the store; writes
    (set, set_many, replace, delete) are queued as ("set", key, value, ttl), ("replace", key,
    value, ttl) or ("delete", *keys) and handed to `write_batch(ops)` when the block ends, or
    dropped if it raises. A read after a queued write to the same key would not see it: callers
    read first."""

    def __init__(self, store):
        self.store = store
        self.ops: list[tuple] = []
        self.get, self.add, self.pop, self.incr = store.get, store.add, store.pop, store.incr

    async def set(self, key: str, value: str, ttl: float) -> None:
        self.ops.append(("set", key, value, ttl))

    async def set_many(self, items) -> None:
        self.ops.extend(("set", key, value, ttl) for key, value, ttl in items)

    async def replace(self, key: str, value: str, ttl: float) -> None:
        self.ops.append(("replace", key, value, ttl))

    async def delete(self, *keys: str) -> None:
        if keys:
            self.ops.append(("delete", *keys))

    async def flush(self) -> None:
        ops, self.ops = self.ops, []
        if ops:
            await self.store.write_batch(ops)

    # `async with WriteBatch(store) as tx:` flushes at the end of the block, and drops the queued
    # writes if it raises. A class rather than an asynccontextmanager: every page load and save
    # opens one, and a generator-based context manager costs ~2 µs more each (docs/performance.md,
    # "The hot database statements").
    async def __aenter__(self) -> WriteBatch:
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            await self.flush()
        return False
