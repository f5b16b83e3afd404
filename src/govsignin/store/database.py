"""The Store on SQL (SQLite or PostgreSQL), each operation one short transaction."""

from __future__ import annotations

import time

from sqlalchemy import and_, case, cast, delete, select, text, Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from govsignin.store.models import EphemeralEntry

T = EphemeralEntry.__table__


class DatabaseStore:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._insert = (
            postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        )

    async def get(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(T.c.value).where(T.c.key == key, T.c.expires_at > time.time())
                )
            ).first()
        return row[0] if row else None

    async def set(self, key: str, value: str, ttl: float) -> None:
        expires = time.time() + ttl
        stmt = self._insert(T).values(key=key, value=value, expires_at=expires)
        stmt = stmt.on_conflict_do_update(
            index_elements=[T.c.key], set_={"value": value, "expires_at": expires}
        )
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        now = time.time()
        stmt = self._insert(T).values(key=key, value=value, expires_at=now + ttl)
        # An expired entry does not block: overwrite it, but never a live one.
        stmt = stmt.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={"value": value, "expires_at": now + ttl},
            where=T.c.expires_at <= now,
        ).returning(T.c.key)
        async with self.engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        return row is not None

    async def pop(self, key: str) -> str | None:
        stmt = delete(T).where(T.c.key == key).returning(T.c.value, T.c.expires_at)
        async with self.engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None or row[1] <= time.time():
            return None
        return row[0]

    async def delete(self, *keys: str) -> None:
        if keys:
            async with self.engine.begin() as conn:
                await conn.execute(delete(T).where(T.c.key.in_(keys)))

    async def incr(self, key: str, ttl: float) -> int:
        now = time.time()
        expired = T.c.expires_at <= now
        stmt = self._insert(T).values(key=key, value="1", expires_at=now + ttl)
        stmt = stmt.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={
                "value": case(
                    (expired, "1"), else_=cast(cast(T.c.value, Integer) + 1, String)
                ),
                "expires_at": case((expired, now + ttl), else_=T.c.expires_at),
            },
        ).returning(T.c.value)
        async with self.engine.begin() as conn:
            row = (await conn.execute(stmt)).first()
        return int(row[0])

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def purge_expired(self) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(delete(T).where(and_(T.c.expires_at <= time.time())))
        return result.rowcount or 0
