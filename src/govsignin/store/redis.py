"""The Store on Redis: what GOVSIGNIN_REDIS_URL selects for many instances.

Commands go over one pipelined connection per worker (store/resp.py). Every operation finishes
within OPERATION_TIMEOUT or fails with TimeoutError, and a lost or refused connection fails with
RedisUnavailable (a ConnectionError): both are a 503 page or `temporarily_unavailable`
(web/errors.py), and the next operation connects again.
"""

from __future__ import annotations

from govsignin.store import resp
from govsignin.store.base import WriteBatch

OPERATION_TIMEOUT = 5.0

# INCR, and set the expiry only when this increment created the key. EVAL, not EVALSHA: Redis
# keeps the compiled script by its SHA-1 anyway, and a restarted Redis needs no second trip.
_INCR_WITH_TTL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


# Store.redeem: the code's pop and either its receipt and access token, or the revocation of what
# an earlier redemption issued, in one step no other command can interleave with. KEYS: the
# code, its receipt, the entry to issue (or the code again when nothing is issued). ARGV: the
# receipt, its TTL in ms, 1 to issue, the issued value and TTL, the store's key prefix (receipts
# name keys without it).
_REDEEM = """
if redis.call('GETDEL', KEYS[1]) then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  if ARGV[3] == '1' then redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[5]) end
  return 'redeemed'
end
local receipt = redis.call('GET', KEYS[2])
if receipt then
  redis.call('DEL', ARGV[6] .. receipt)
  return 'replayed'
end
return 'unknown'
"""


def _ms(ttl: float) -> str:
    return str(max(1, int(ttl * 1000)))


class RedisStore:
    def __init__(self, url: str, prefix: str = "gs:"):
        self.redis = resp.RedisPipe(url, timeout=OPERATION_TIMEOUT)
        self.prefix = prefix

    async def get(self, key: str) -> str | None:
        return await self.redis.call("GET", self.prefix + key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        await self.redis.call("SET", self.prefix + key, value, "PX", _ms(ttl))

    async def set_many(self, items) -> None:
        """Several (key, value, ttl) in one round trip (a pipeline, each SET atomic)."""
        commands = [("SET", self.prefix + key, value, "PX", _ms(ttl)) for key, value, ttl in items]
        if commands:
            await self.redis.calls(commands)

    def transaction(self) -> WriteBatch:
        """The DatabaseStore's batch, for the same callers: reads (get, add, pop, incr) run at
        once, as on the store; writes (set, set_many, replace, delete) are queued and sent
        together at the end in one MULTI/EXEC round trip, and dropped if the block raises (as
        SQL rolls back). A journey step's lockout clear and journey save, or the authorization
        code, the renewed session and the old record's removal, cost one round trip, not two."""
        return WriteBatch(self)

    async def write_batch(self, ops: list[tuple]) -> None:
        """Queued writes (store/base.WriteBatch): one command as it is, several in MULTI/EXEC."""
        prefix, commands = self.prefix, []
        for op in ops:
            if op[0] == "delete":
                commands.append(("DEL", *(prefix + k for k in op[1:])))
            else:  # set, or replace: SET ... XX (only over a live key)
                command = ("SET", prefix + op[1], op[2], "PX", _ms(op[3]))
                commands.append(command + ("XX",) if op[0] == "replace" else command)
        if len(commands) == 1:
            await self.redis.call(*commands[0])
        else:
            await self.redis.transaction(commands)

    async def replace(self, key: str, value: str, ttl: float) -> None:
        await self.redis.call("SET", self.prefix + key, value, "PX", _ms(ttl), "XX")

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return await self.redis.call("SET", self.prefix + key, value, "PX", _ms(ttl), "NX") is not None

    async def pop(self, key: str) -> str | None:
        return await self.redis.call("GETDEL", self.prefix + key)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.redis.call("DEL", *(self.prefix + k for k in keys))

    async def redeem(self, key: str, receipt_key: str, receipt: str, ttl: float, issue) -> str:
        p = self.prefix
        issued_key, value, issued_ttl = issue if issue is not None else (key, "", 1)
        return await self.redis.call(
            "EVAL", _REDEEM, "3", p + key, p + receipt_key, p + issued_key,
            receipt, _ms(ttl), "1" if issue is not None else "0", value, _ms(issued_ttl), p,
        )

    async def incr(self, key: str, ttl: float) -> int:
        return int(await self.redis.call("EVAL", _INCR_WITH_TTL, "1", self.prefix + key, _ms(ttl)))

    async def ping(self) -> None:
        await self.redis.call("PING")

    async def eviction_policy(self) -> str | None:
        """Redis's `maxmemory-policy`, or None where CONFIG is refused (managed services often
        disable or rename it; ACLs may deny it)."""
        try:
            reply = await self.redis.call("CONFIG", "GET", "maxmemory-policy")
        except resp.RedisReplyError:
            return None
        return reply[1] if isinstance(reply, list) and len(reply) == 2 else None

    async def purge_expired(self) -> int:
        return 0  # Redis expires keys itself

    async def close(self) -> None:
        await self.redis.close()
