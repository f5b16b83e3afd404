"""SQLite: a pooled connection each hot path keeps for the life of the process.

The hot reads (db/reads.py) and the audit appends (audit/service.py) each run as one aiosqlite
call. Checking a connection out of SQLAlchemy's pool for each of them, and returning it, cost
more than the call (~60 us of CPU: the greenlet bridge, the pool's events and reset). So each
keeps one connection checked out, made by the same engine (same file, same PRAGMAs), and sends
its calls to it; aiosqlite runs a connection's calls one after another on its own thread, so
coroutines sharing it need no lock. Reads run in autocommit (each sees the latest commit, WAL);
an audit append is one BEGIN IMMEDIATE ... COMMIT inside one call. PostgreSQL keeps the pool.
"""

from __future__ import annotations

import asyncio
import weakref

from sqlalchemy.ext.asyncio import AsyncEngine

_HELD: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Held:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.connections: dict[str, tuple] = {}  # name -> (SQLAlchemy AsyncConnection, aiosqlite Connection)
        self.lock = asyncio.Lock()

    async def driver(self, name: str):
        held = self.connections.get(name)
        if held is None:
            async with self.lock:
                held = self.connections.get(name)
                if held is None:
                    conn = await self.engine.connect()
                    raw = await conn.get_raw_connection()
                    held = self.connections[name] = (conn, raw.driver_connection)
        return held[1]

    async def close(self) -> None:
        held, self.connections = self.connections, {}
        for conn, _ in held.values():
            await conn.close()


async def sqlite_driver(engine: AsyncEngine, name: str):
    """The aiosqlite connection kept for `name` ("reads", "audit") on this engine."""
    held = _HELD.get(engine)
    if held is None:
        held = _HELD[engine] = _Held(engine)
    return await held.driver(name)


async def release(engine: AsyncEngine) -> None:
    """Give the kept connections back (before engine.dispose())."""
    held = _HELD.pop(engine, None)
    if held is not None:
        await held.close()
