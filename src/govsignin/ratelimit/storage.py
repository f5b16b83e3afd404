"""A `limits` async storage on govsignin's Store (the database when Redis is not configured).

`limits` ships no SQL storage, but its async `Storage` base class is a small, documented
extension point (incr/get/get_expiry/check/reset/clear), and its fixed-window strategy needs
nothing else. So this adapter lets `limits.aio.strategies.FixedWindowRateLimiter` run unchanged
on the same `ephemeral` table every instance already shares. Moving-window and sliding-window
strategies need storage primitives the Store does not have (sorted sets, two-key windows), so
only the fixed window is offered.

Semantics match limits' own Redis storage: the window starts at the first hit (the Store's
`incr` starts the TTL when it creates the counter) and the count resets when it expires.
The Store has no TTL query, so the first hit of a window also writes the window's end under a
companion key; `get_expiry` reads it (for Retry-After). One extra write per window, not per hit.
"""

from __future__ import annotations

import hashlib
import time

from limits.aio.storage import Storage

from govsignin.store import Store


def _key(key: str) -> str:
    # limits' keys hold the identifiers and the limit; hashing bounds the length (the table's
    # key column is 200 characters) and keeps IPs and account hashes out of the table as-is.
    return "rl:" + hashlib.sha256(key.encode()).hexdigest()[:40]


class StoreStorage(Storage):
    STORAGE_SCHEME = None  # constructed directly, never from a URI

    def __init__(self, store: Store):
        super().__init__(None)
        self.store = store

    @property
    def base_exceptions(self):
        return ()  # let the Store's own errors through: app.py turns them into 503s

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        k = _key(key)
        count = 0
        for _ in range(amount):
            count = await self.store.incr(k, expiry)
        if count == amount:  # this call opened the window
            await self.store.set(k + ":end", repr(time.time() + expiry), expiry)
        return count

    async def get(self, key: str) -> int:
        value = await self.store.get(_key(key))
        return int(value) if value else 0

    async def get_expiry(self, key: str) -> float:
        value = await self.store.get(_key(key) + ":end")
        return float(value) if value else time.time()

    async def check(self) -> bool:
        try:
            await self.store.ping()
        except Exception:  # noqa: BLE001 - any failure means unhealthy
            return False
        return True

    async def reset(self) -> int | None:
        return None  # counters expire on their own; the Store cannot list keys by prefix

    async def clear(self, key: str) -> None:
        k = _key(key)
        await self.store.delete(k, k + ":end")
