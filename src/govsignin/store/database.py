"""The Store on SQL (SQLite or PostgreSQL), each operation one short transaction.

`transaction()` runs several operations on one connection in one transaction (one pool
checkout, one commit): the token exchange's code pop and its two writes cost one trip, not three.

On SQLite (`SQLiteStore`, the laptop default) each operation first runs with sqlite3 on the event
loop (db/hot.py): a statement there costs a few microseconds, the hop to aiosqlite's thread and
back ~70. Reads never wait in WAL mode; a write that meets another writer's lock (another worker,
a migration) raises at once and runs as DatabaseStore runs it, on aiosqlite, which waits.
Its `transaction()` is the Redis store's batch: reads run at once, writes are queued and
committed together at the end (BEGIN IMMEDIATE ... COMMIT in one go on the loop, nothing else
running between), and dropped if the block raises.
"""

from __future__ import annotations

import itertools
import time
from contextlib import asynccontextmanager

from sqlalchemy import and_, bindparam, case, cast, delete, select, text, update, Integer, String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from govsignin.db.hot import SQLiteBusy, arguments, compiled, hot
from govsignin.store.base import REDEEMED, REPLAYED, UNKNOWN, WriteBatch
from govsignin.store.models import EphemeralEntry

T = EphemeralEntry.__table__  # the default table; SecurityState has the same columns


class _Ops:
    """The operations, on a connection that is already in a transaction.

    Each statement is built once with bound parameters, so SQLAlchemy compiles it once (its
    cache key never changes) and a call only binds values.
    """

    def __init__(self, insert, table=T):
        self.table = T = table
        upsert = insert(T)
        self._get = select(T.c.value).where(T.c.key == bindparam("key"), T.c.expires_at > bindparam("now"))
        self._set = upsert.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={"value": upsert.excluded.value, "expires_at": upsert.excluded.expires_at},
        )
        # An expired entry does not block: overwrite it, but never a live one.
        self._add = upsert.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={"value": upsert.excluded.value, "expires_at": upsert.excluded.expires_at},
            where=T.c.expires_at <= bindparam("now"),
        ).returning(T.c.key)
        self._replace = (
            update(T)
            .where(T.c.key == bindparam("the_key"), T.c.expires_at > bindparam("now"))
            .values(value=bindparam("new_value"), expires_at=bindparam("new_expires_at"))
        )
        self._pop = delete(T).where(T.c.key == bindparam("key")).returning(T.c.value, T.c.expires_at)
        expired = T.c.expires_at <= bindparam("now")
        counter = insert(T).values(key=bindparam("key"), value="1", expires_at=bindparam("expires_at"))
        self._incr = counter.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={
                "value": case((expired, "1"), else_=cast(cast(T.c.value, Integer) + 1, String)),
                "expires_at": case((expired, bindparam("expires_at")), else_=T.c.expires_at),
            },
        ).returning(T.c.value)
        self._delete = delete(T).where(T.c.key.in_(bindparam("keys", expanding=True)))

    async def get(self, conn: AsyncConnection, key: str) -> str | None:
        row = (await conn.execute(self._get, {"key": key, "now": time.time()})).first()
        return row[0] if row else None

    async def set_many(self, conn: AsyncConnection, items) -> None:
        now = time.time()
        rows = [{"key": k, "value": v, "expires_at": now + ttl} for k, v, ttl in items]
        if rows:  # one row: execute; several: executemany, still one trip
            await conn.execute(self._set, rows[0] if len(rows) == 1 else rows)

    async def replace(self, conn: AsyncConnection, key: str, value: str, ttl: float) -> None:
        now = time.time()
        await conn.execute(self._replace, {"the_key": key, "now": now, "new_value": value, "new_expires_at": now + ttl})

    async def add(self, conn: AsyncConnection, key: str, value: str, ttl: float) -> bool:
        now = time.time()
        params = {"key": key, "value": value, "expires_at": now + ttl, "now": now}
        return (await conn.execute(self._add, params)).first() is not None

    async def pop(self, conn: AsyncConnection, key: str) -> str | None:
        row = (await conn.execute(self._pop, {"key": key})).first()
        if row is None or row[1] <= time.time():
            return None
        return row[0]

    async def delete(self, conn: AsyncConnection, keys) -> None:
        await conn.execute(self._delete, {"keys": list(keys)})

    async def incr(self, conn: AsyncConnection, key: str, ttl: float) -> int:
        now = time.time()
        row = (await conn.execute(self._incr, {"key": key, "now": now, "expires_at": now + ttl})).first()
        return int(row[0])


class _SQLiteOps(_Ops):
    """SQLite: the same Core statements compiled once to plain SQL (db/hot.compiled) and run on the
    aiosqlite connection under SQLAlchemy's connection and transaction, one thread hop each
    (SQLAlchemy's adapter makes four or five: cursor, execute, fetchall, close). SQLiteStore runs
    the same SQL with sqlite3 on the event loop."""

    def __init__(self, insert, dialect, table=T):
        super().__init__(insert, table)
        self.plain = {name: compiled(dialect, getattr(self, f"_{name}"))[:2]
                      for name in ("get", "set", "add", "replace", "pop", "incr")}

    def sql(self, name: str, params: dict) -> tuple[str, tuple]:
        """(SQL, values) of one statement; `delete` has one placeholder per key."""
        if name == "delete":
            keys = tuple(params["keys"])
            return f'DELETE FROM {self.table.name} WHERE "key" IN ({", ".join("?" * len(keys))})', keys
        sql, order = self.plain[name]
        return sql, arguments(order, params)

    async def _rows(self, conn: AsyncConnection, name: str, params: dict) -> list:
        driver = (await conn.get_raw_connection()).driver_connection
        return await driver.execute_fetchall(*self.sql(name, params))

    async def get(self, conn: AsyncConnection, key: str) -> str | None:
        rows = await self._rows(conn, "get", {"key": key, "now": time.time()})
        return rows[0][0] if rows else None

    async def set_many(self, conn: AsyncConnection, items) -> None:
        now = time.time()
        sql, order = self.plain["set"]
        rows = [arguments(order, {"key": k, "value": v, "expires_at": now + ttl}) for k, v, ttl in items]
        if rows:
            await (await conn.get_raw_connection()).driver_connection.executemany(sql, rows)

    async def replace(self, conn: AsyncConnection, key: str, value: str, ttl: float) -> None:
        now = time.time()
        await self._rows(conn, "replace", {"the_key": key, "now": now, "new_value": value, "new_expires_at": now + ttl})

    async def add(self, conn: AsyncConnection, key: str, value: str, ttl: float) -> bool:
        now = time.time()
        return bool(await self._rows(conn, "add", {"key": key, "value": value, "expires_at": now + ttl, "now": now}))

    async def pop(self, conn: AsyncConnection, key: str) -> str | None:
        rows = await self._rows(conn, "pop", {"key": key})
        if not rows or rows[0][1] <= time.time():
            return None
        return rows[0][0]

    async def delete(self, conn: AsyncConnection, keys) -> None:
        await self._rows(conn, "delete", {"keys": keys})


class Transaction:
    """Store operations on one connection, committed together when the block ends."""

    def __init__(self, ops: _Ops, conn: AsyncConnection):
        self._ops, self._conn = ops, conn

    async def get(self, key: str) -> str | None:
        return await self._ops.get(self._conn, key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        await self._ops.set_many(self._conn, [(key, value, ttl)])

    async def set_many(self, items) -> None:
        await self._ops.set_many(self._conn, items)

    async def replace(self, key: str, value: str, ttl: float) -> None:
        await self._ops.replace(self._conn, key, value, ttl)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        return await self._ops.add(self._conn, key, value, ttl)

    async def pop(self, key: str) -> str | None:
        return await self._ops.pop(self._conn, key)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._ops.delete(self._conn, keys)

    async def redeem(self, key: str, receipt_key: str, receipt: str, ttl: float, issue) -> str:
        """Store.redeem inside this transaction. The code's row is deleted first: a concurrent
        redemption's DELETE waits on its lock until this commits, then finds it gone and reads
        the receipt this one wrote (PostgreSQL's read committed reads what committed before
        each statement; SQLite has one writer at a time)."""
        if await self.pop(key) is not None:
            await self.set_many([(receipt_key, receipt, ttl), *([issue] if issue is not None else [])])
            return REDEEMED
        earlier = await self.get(receipt_key)
        if earlier is None:
            return UNKNOWN
        await self.delete(earlier)
        return REPLAYED


class DatabaseStore:
    """`table`: the ephemeral table (the default), or another with its columns (SecurityState)."""

    def __init__(self, engine: AsyncEngine, table=T):
        self.engine = engine
        self.table = table
        self._insert = (
            postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        )
        self._ops = (_SQLiteOps(self._insert, engine.dialect, table) if engine.dialect.driver == "aiosqlite"
                     else _Ops(self._insert, table))

    @asynccontextmanager
    async def transaction(self):
        """Several operations, one connection, one commit (rolled back if the block raises).

        Only store operations and CPU work belong inside: awaiting anything that writes to the
        database through another connection could wait on this transaction's lock (SQLite).
        """
        async with self.engine.begin() as conn:
            yield Transaction(self._ops, conn)

    async def get(self, key: str) -> str | None:
        async with self.engine.connect() as conn:
            return await self._ops.get(conn, key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        async with self.engine.begin() as conn:
            await self._ops.set_many(conn, [(key, value, ttl)])

    async def set_many(self, items) -> None:
        """Several (key, value, ttl) at once: one statement."""
        async with self.engine.begin() as conn:
            await self._ops.set_many(conn, list(items))

    async def replace(self, key: str, value: str, ttl: float) -> None:
        async with self.engine.begin() as conn:
            await self._ops.replace(conn, key, value, ttl)

    async def add(self, key: str, value: str, ttl: float) -> bool:
        async with self.engine.begin() as conn:
            return await self._ops.add(conn, key, value, ttl)

    async def pop(self, key: str) -> str | None:
        async with self.engine.begin() as conn:
            return await self._ops.pop(conn, key)

    async def delete(self, *keys: str) -> None:
        if keys:
            async with self.engine.begin() as conn:
                await self._ops.delete(conn, keys)

    async def incr(self, key: str, ttl: float) -> int:
        async with self.engine.begin() as conn:
            return await self._ops.incr(conn, key, ttl)

    async def redeem(self, key: str, receipt_key: str, receipt: str, ttl: float, issue) -> str:
        async with self.engine.begin() as conn:
            return await Transaction(self._ops, conn).redeem(key, receipt_key, receipt, ttl, issue)

    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def purge_expired(self) -> int:
        async with self.engine.begin() as conn:
            table = self.table
            result = await conn.execute(delete(table).where(and_(table.c.expires_at <= time.time())))
        return result.rowcount or 0


class PostgresStore(DatabaseStore):
    """DatabaseStore on PostgreSQL, each operation one statement on a kept asyncpg connection
    (db/hot.py) rather than a transaction through SQLAlchemy's pool: ~30 us of CPU a statement
    against ~340 (db/hot.py's measurement), and a sign-in makes ~20 store calls.

    The same Core statements, compiled once for the dialect. A statement on its own commits by
    itself (asyncpg outside a transaction block); `transaction()` is the Redis store's batch:
    reads run at once, writes are queued and committed together in one transaction on one
    connection at the end, and dropped if the block raises. So no connection is held while the
    caller's block awaits other work, and the hot connections (a few per worker) cannot all be
    held by blocks waiting for one of them.
    """

    _STATEMENTS = ("get", "set", "add", "replace", "pop", "incr")

    def __init__(self, engine: AsyncEngine, table=T):
        super().__init__(engine, table)
        self._hot = hot(engine)
        self._sql = {name: compiled(engine.dialect, getattr(self._ops, f"_{name}"))[:2] for name in self._STATEMENTS}
        self._delete_sql = f'DELETE FROM {table.name} WHERE "key" = ANY($1::varchar[])'

    def _args(self, name: str, params: dict) -> tuple[str, tuple]:
        sql, order = self._sql[name]
        return sql, arguments(order, params)

    async def _fetch(self, name: str, params: dict) -> list:
        sql, args = self._args(name, params)
        return await self._hot.pg_run(lambda conn: conn.fetch(sql, *args))

    async def get(self, key: str) -> str | None:
        rows = await self._fetch("get", {"key": key, "now": time.time()})
        return rows[0][0] if rows else None

    async def add(self, key: str, value: str, ttl: float) -> bool:
        now = time.time()
        return bool(await self._fetch("add", {"key": key, "value": value, "expires_at": now + ttl, "now": now}))

    async def pop(self, key: str) -> str | None:
        rows = await self._fetch("pop", {"key": key})
        if not rows or rows[0][1] <= time.time():
            return None
        return rows[0][0]

    async def incr(self, key: str, ttl: float) -> int:
        now = time.time()
        rows = await self._fetch("incr", {"key": key, "now": now, "expires_at": now + ttl})
        return int(rows[0][0])

    async def set(self, key: str, value: str, ttl: float) -> None:
        await self.write_batch([("set", key, value, ttl)])

    async def set_many(self, items) -> None:
        ops = [("set", k, v, ttl) for k, v, ttl in items]
        if ops:
            await self.write_batch(ops)

    async def replace(self, key: str, value: str, ttl: float) -> None:
        await self.write_batch([("replace", key, value, ttl)])

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.write_batch([("delete", *keys)])

    def transaction(self) -> WriteBatch:
        return WriteBatch(self)

    async def redeem(self, key: str, receipt_key: str, receipt: str, ttl: float, issue) -> str:
        """Store.redeem in one transaction on a kept connection (see Transaction.redeem for why
        two concurrent redemptions cannot both miss the receipt)."""
        pop_sql, pop_args = self._args("pop", {"key": key})

        async def run(conn) -> str:
            async with conn.transaction():
                rows = await conn.fetch(pop_sql, *pop_args)
                now = time.time()
                if rows and rows[0][1] > now:
                    writes = [("set", receipt_key, receipt, ttl), *([("set", *issue)] if issue is not None else [])]
                    await self._write(conn, writes, now)
                    return REDEEMED
                get_sql, get_args = self._args("get", {"key": receipt_key, "now": now})
                earlier = await conn.fetch(get_sql, *get_args)
                if not earlier:
                    return UNKNOWN
                await conn.execute(self._delete_sql, [earlier[0][0]])
                return REPLAYED

        return await self._hot.pg_run(run)

    async def write_batch(self, ops: list[tuple]) -> None:
        """Queued writes (store/base.WriteBatch), in order: one statement on its own, or one
        transaction for several."""
        now = time.time()
        one_statement = len(ops) == 1 or (len(ops) == sum(op[0] == "set" for op in ops))  # executemany is one too

        async def write(conn) -> None:
            if one_statement:
                await self._write(conn, ops, now)
                return
            async with conn.transaction():
                await self._write(conn, ops, now)

        await self._hot.pg_run(write)

    async def _write(self, conn, ops: list[tuple], now: float) -> None:
        for is_set, run in itertools.groupby(ops, key=lambda op: op[0] == "set"):
            if is_set:  # consecutive sets: one executemany
                rows = [self._args("set", {"key": op[1], "value": op[2], "expires_at": now + op[3]})[1] for op in run]
                sql = self._sql["set"][0]
                await (conn.execute(sql, *rows[0]) if len(rows) == 1 else conn.executemany(sql, rows))
                continue
            for op in run:
                if op[0] == "replace":
                    sql, args = self._args("replace", {"the_key": op[1], "now": now, "new_value": op[2],
                                                       "new_expires_at": now + op[3]})
                    await conn.execute(sql, *args)
                else:
                    await conn.execute(self._delete_sql, list(op[1:]))


class SQLiteStore(DatabaseStore):
    """DatabaseStore on SQLite, each operation on the event loop while the write lock is free."""

    def __init__(self, engine: AsyncEngine, table=T):
        super().__init__(engine, table)
        self._hot = hot(engine)

    def _run(self, fn, *args):
        return self._hot.sqlite_run(fn, *args)

    def _one(self, conn, name: str, params: dict) -> list:
        return conn.execute(*self._ops.sql(name, params)).fetchall()

    def _get(self, conn, key: str):
        rows = self._one(conn, "get", {"key": key, "now": time.time()})
        return rows[0][0] if rows else None

    async def get(self, key: str) -> str | None:
        try:
            return self._run(self._get, key)
        except SQLiteBusy:
            return await super().get(key)

    async def set(self, key: str, value: str, ttl: float) -> None:
        await self.write_batch([("set", key, value, ttl)])

    async def set_many(self, items) -> None:
        ops = [("set", k, v, ttl) for k, v, ttl in items]
        if ops:
            await self.write_batch(ops)

    async def replace(self, key: str, value: str, ttl: float) -> None:
        await self.write_batch([("replace", key, value, ttl)])

    async def delete(self, *keys: str) -> None:
        if keys:
            await self.write_batch([("delete", *keys)])

    async def add(self, key: str, value: str, ttl: float) -> bool:
        now = time.time()
        try:
            rows = self._run(self._one, "add", {"key": key, "value": value, "expires_at": now + ttl, "now": now})
        except SQLiteBusy:
            return await super().add(key, value, ttl)
        return bool(rows)

    async def pop(self, key: str) -> str | None:
        try:
            rows = self._run(self._one, "pop", {"key": key})
        except SQLiteBusy:
            return await super().pop(key)
        if not rows or rows[0][1] <= time.time():
            return None
        return rows[0][0]

    async def incr(self, key: str, ttl: float) -> int:
        now = time.time()
        try:
            rows = self._run(self._one, "incr", {"key": key, "now": now, "expires_at": now + ttl})
        except SQLiteBusy:
            return await super().incr(key, ttl)
        return int(rows[0][0])

    def transaction(self) -> WriteBatch:
        return WriteBatch(self)

    async def redeem(self, key: str, receipt_key: str, receipt: str, ttl: float, issue) -> str:
        """Store.redeem in one BEGIN IMMEDIATE transaction on the loop (nothing else runs
        between its statements), or on aiosqlite, waiting for the lock."""
        try:
            return self._run(self._redeem, key, receipt_key, receipt, ttl, issue)
        except SQLiteBusy:
            return await super().redeem(key, receipt_key, receipt, ttl, issue)

    def _redeem(self, conn, key: str, receipt_key: str, receipt: str, ttl: float, issue) -> str:
        conn.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            rows = self._one(conn, "pop", {"key": key})
            if rows and rows[0][1] > now:
                for k, v, t in [(receipt_key, receipt, ttl), *([issue] if issue is not None else [])]:
                    self._one(conn, "set", {"key": k, "value": v, "expires_at": now + t})
                outcome = REDEEMED
            else:
                earlier = self._one(conn, "get", {"key": receipt_key, "now": now})
                outcome = UNKNOWN
                if earlier:
                    self._one(conn, "delete", {"keys": [earlier[0][0]]})
                    outcome = REPLAYED
            conn.execute("COMMIT")
            return outcome
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def write_batch(self, ops: list[tuple]) -> None:
        """Queued writes (store/base.WriteBatch) in one transaction: on the loop if the lock is
        free, else on aiosqlite, waiting for it."""
        try:
            self._run(self._commit, ops)
        except SQLiteBusy:
            await self._commit_waiting(ops)

    def _commit(self, conn, writes: list[tuple]) -> None:
        """Queued writes in one transaction: all or nothing."""
        single = len(writes) == 1
        if not single:
            conn.execute("BEGIN IMMEDIATE")
        try:
            now = time.time()
            for op in writes:
                if op[0] == "set":
                    self._one(conn, "set", {"key": op[1], "value": op[2], "expires_at": now + op[3]})
                elif op[0] == "replace":
                    self._one(conn, "replace", {"the_key": op[1], "now": now, "new_value": op[2],
                                                "new_expires_at": now + op[3]})
                else:
                    self._one(conn, "delete", {"keys": list(op[1:])})
            if not single:
                conn.execute("COMMIT")
        except BaseException:
            if not single and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    async def _commit_waiting(self, writes: list[tuple]) -> None:
        """The same writes through aiosqlite, in one transaction that waits for the lock."""
        async with self.engine.begin() as conn:
            tx = Transaction(self._ops, conn)
            for op in writes:
                if op[0] == "set":
                    await tx.set(op[1], op[2], op[3])
                elif op[0] == "replace":
                    await tx.replace(op[1], op[2], op[3])
                else:
                    await tx.delete(*op[1:])
