"""The Store on Redis: what GOVSIGNIN_REDIS_URL selects for many instances."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

import redis.asyncio as redis

# Every store operation has to finish within this, or it fails with TimeoutError (a 503 page or
# temporarily_unavailable, web/errors.py), and redis-py drops the connection it was using.
# It replaces redis-py's own socket_timeout (also 5 s by default): on Python 3.11 that wraps
# every command's send in asyncio.wait_for, which creates a Task per command (~15 us of CPU and
# one more trip round the event loop, measured in docs/performance.md), and every read in a
# timer of its own. One asyncio.timeout per operation costs one timer.
OPERATION_TIMEOUT = 5.0

# INCR, and set the expiry only when this increment created the key.
_INCR_WITH_TTL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisStore:
    def __init__(self, url: str, prefix: str = "gs:"):
        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=None, socket_connect_timeout=5)
        self.prefix = prefix
        self._incr = self.client.register_script(_INCR_WITH_TTL)

    def _k(self, key: str) -> str:
        return self.prefix + key

    async def get(self, key: str) -> str | None:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            return await self.client.get(self._k(key))

    async def set(self, key: str, value: str, ttl: float) -> None:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            await self.client.set(self._k(key), value, px=max(1, int(ttl * 1000)))

    async def set_many(self, items) -> None:
        """Several (key, value, ttl) in one round trip (a pipeline, each SET atomic)."""
        items = list(items)
        if len(items) == 1:
            await self.set(*items[0])
        elif items:
            async with asyncio.timeout(OPERATION_TIMEOUT), self.client.pipeline(transaction=False) as pipe:
                for key, value, ttl in items:
                    pipe.set(self._k(key), value, px=max(1, int(ttl * 1000)))
                await pipe.execute()

    @asynccontextmanager
    async def transaction(self):
        """The DatabaseStore's batch, for the same callers: reads (get, add, pop, incr) run at
        once, as on the store; writes (set, set_many, delete) are queued and sent together at
        the end in one MULTI/EXEC round trip, and dropped if the block raises (as SQL rolls
        back). A journey step's lockout clear and journey save, or the authorization code, the
        renewed session and the old record's removal, cost one round trip instead of two."""
        tx = _Batch(self)
        yield tx
        await tx.flush()

    async def replace(self, key: str, value: str, ttl: float) -> None:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            await self.client.set(self._k(key), value, px=max(1, int(ttl * 1000)), xx=True)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            return bool(await self.client.set(self._k(key), value, px=max(1, int(ttl * 1000)), nx=True))

    async def pop(self, key: str) -> str | None:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            return await self.client.getdel(self._k(key))

    async def delete(self, *keys: str) -> None:
        if keys:
            async with asyncio.timeout(OPERATION_TIMEOUT):
                await self.client.delete(*(self._k(k) for k in keys))

    async def incr(self, key: str, ttl: float) -> int:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            return int(await self._incr(keys=[self._k(key)], args=[max(1, int(ttl * 1000))]))

    async def ping(self) -> None:
        async with asyncio.timeout(OPERATION_TIMEOUT):
            await self.client.ping()

    async def purge_expired(self) -> int:
        return 0  # Redis expires keys itself

    async def close(self) -> None:
        await self.client.aclose()


class _Batch:
    """RedisStore.transaction(): the store's operations, writes queued until flush().
    A read after a queued write to the same key would not see it: callers read first."""

    def __init__(self, store: RedisStore):
        self.store = store
        self.writes: list[tuple] = []
        self.get, self.add, self.pop, self.incr = store.get, store.add, store.pop, store.incr

    async def set(self, key: str, value: str, ttl: float) -> None:
        self.writes.append(("set", key, value, ttl))

    async def set_many(self, items) -> None:
        for key, value, ttl in items:
            self.writes.append(("set", key, value, ttl))

    async def replace(self, key: str, value: str, ttl: float) -> None:
        self.writes.append(("replace", key, value, ttl))

    async def delete(self, *keys: str) -> None:
        if keys:
            self.writes.append(("delete", *keys))

    async def flush(self) -> None:
        writes, self.writes = self.writes, []
        if not writes:
            return
        store = self.store
        if len(writes) == 1:
            op = writes[0]
            await getattr(store, op[0])(*op[1:])
            return
        async with asyncio.timeout(OPERATION_TIMEOUT), store.client.pipeline(transaction=True) as pipe:
            for op in writes:
                if op[0] == "delete":
                    pipe.delete(*(store._k(k) for k in op[1:]))
                else:  # set, or replace: SET ... XX (only over a live key)
                    pipe.set(store._k(op[1]), op[2], px=max(1, int(op[3] * 1000)), xx=op[0] == "replace")
            await pipe.execute()
