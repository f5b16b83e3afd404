"""The hot paths' own way to the database: a sign-in's account reads (db/reads.py) and the audit
appends (audit/append.py).

Through SQLAlchemy, each of those statements paid more for the trip than for the statement: a pool
checkout and return, the greenlet bridge, statement processing and, on SQLite, a hand-off to
aiosqlite's thread and back. Measured (docs/performance.md, "The hot database statements"): a
primary-key read on PostgreSQL ~340 us of CPU through SQLAlchemy Core against ~30 us on an asyncpg
connection of its own; on SQLite ~70 us through aiosqlite against ~2 us with sqlite3 on the event
loop. The statements are still SQLAlchemy Core, compiled once for the engine's dialect (`compiled`),
with the columns' own bind and result processors, so values are stored and read exactly as
SQLAlchemy stores and reads them.

- SQLite: a sqlite3 connection of the hot paths' own (same file, same PRAGMAs) used directly on
  the event loop, with busy_timeout 0. Reads never wait in WAL mode; a write that would have to
  wait for another writer's lock raises at once (`SQLiteBusy`), and the caller does it through
  aiosqlite on a connection kept from the engine's pool (`sqlite_driver`), which waits as every
  other write does. Nothing else runs on the loop while a statement runs, so no statement is
  ever interleaved with another.
- PostgreSQL: up to GOVSIGNIN_DB_HOT_CONNECTIONS asyncpg connections checked out of the
  engine's pool (the dialect set them up: JSON codecs and the rest) and kept, handed out one
  caller at a time without asyncpg's pool reset. A connection that fails is invalidated (the
  engine's pool replaces it) and the error goes up as `DatabaseUnavailable` when it is an
  outage (web/errors.py: a 503). A kept connection sits idle between callers, and the server
  may close it there (idle_session_timeout, pg_terminate_backend, a restart): one found closed
  is never handed out, and a statement asyncpg refused before sending it, because the server's
  FATAL error was read but not yet the close, is made again on another connection
  (`_Hot.pg_run`). So a connection the server dropped while idle costs a request a 503 only
  if the request's statement was already on its way when the server's error arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref

from sqlalchemy.ext.asyncio import AsyncEngine

from govsignin.config import Settings
from govsignin.db.outages import dependency_outage, refused_before_sending

# Per worker, for an engine not made by db/engine.py (which sizes it from the settings); the
# engine's pool serves everything else.
DEFAULT_PG_CONNECTIONS = Settings.db_hot_connections


class DatabaseUnavailable(ConnectionError):
    """The database could not be reached on a hot path (a 503, as any outage)."""


class StaleConnection(DatabaseUnavailable):
    """asyncpg refused a statement on a kept connection the server had closed while it sat idle;
    nothing was sent (outages.refused_before_sending). `_Hot.pg_run` makes it again elsewhere."""


class SQLiteBusy(Exception):
    """The write lock is held elsewhere: do it where waiting is allowed (aiosqlite)."""


# --- compiled statements -----------------------------------------------------------------------

_COMPILED: dict = {}


def compiled(dialect, stmt) -> tuple[str, tuple, list | None]:
    """(SQL, bind order with defaults and processors, result processors or None) for a Core
    statement on this dialect, compiled once."""
    key = (dialect.name, dialect.driver, stmt)
    found = _COMPILED.get(key)
    if found is None:
        c = stmt.compile(dialect=dialect)
        binds = {name: bind for bind, name in c.bind_names.items()}
        order = tuple((name, binds[name].value, binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                      for name in c.positiontup)
        results = None
        if getattr(stmt, "selected_columns", None) is not None and stmt.is_select:
            processors = [col.type.dialect_impl(dialect).result_processor(dialect, None) for col in stmt.selected_columns]
            results = processors if any(processors) else None
        found = _COMPILED[key] = (str(c), order, results)
    return found


def arguments(order, params: dict) -> tuple:
    return tuple((p(v) if p else v) for p, v in ((p, params.get(name, default)) for name, default, p in order))


def rows_of(raw_rows, results) -> list[tuple]:
    if results is None:
        return [tuple(row) for row in raw_rows]
    return [tuple(p(v) if p else v for p, v in zip(results, row)) for row in raw_rows]


# --- per engine ----------------------------------------------------------------------------------

_HOT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hot(engine: AsyncEngine) -> _Hot:
    found = _HOT.get(engine)
    if found is None:
        found = _HOT[engine] = _Hot(engine)
    return found


def keep_connections(engine: AsyncEngine, connections: int) -> None:
    """Size the hot paths' share of this engine's pool (db/engine.py, from the settings)."""
    _HOT[engine] = _Hot(engine, connections)


class _Hot:
    def __init__(self, engine: AsyncEngine, connections: int = DEFAULT_PG_CONNECTIONS):
        self.engine = engine
        self.sqlite = engine.dialect.driver == "aiosqlite"
        self._sync: sqlite3.Connection | None = None
        self._kept: dict[str, tuple] = {}  # name -> (SQLAlchemy AsyncConnection, driver connection)
        self._lock = asyncio.Lock()
        self._pg_free: list[tuple] = []
        self._pg_connections = connections
        self._pg_slots = asyncio.Semaphore(connections)

    # SQLite ------------------------------------------------------------------------------------

    def sqlite_connection(self) -> sqlite3.Connection:
        """The sqlite3 connection used on the event loop (autocommit; BEGIN where a write needs it)."""
        if self._sync is None:
            conn = sqlite3.connect(self.engine.url.database, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=0")
            self._sync = conn
        return self._sync

    def sqlite_run(self, fn, *args):
        """fn(sqlite3 connection, *args) now, on this thread; SQLiteBusy if it met a lock."""
        try:
            return fn(self.sqlite_connection(), *args)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise SQLiteBusy(str(exc)) from exc
            raise

    async def sqlite_driver(self, name: str):
        """The aiosqlite connection kept for `name`, from the engine's pool (it waits on locks)."""
        kept = self._kept.get(name)
        if kept is None:
            async with self._lock:
                kept = self._kept.get(name)
                if kept is None:
                    conn = await self.engine.connect()
                    raw = await conn.get_raw_connection()
                    kept = self._kept[name] = (conn, raw.driver_connection)
        return kept[1]

    # PostgreSQL --------------------------------------------------------------------------------

    def pg(self) -> _PgLease:
        """`async with hot.pg() as conn`: an asyncpg connection for one caller at a time."""
        return _PgLease(self)

    async def pg_run(self, call):
        """`await call(conn)` on a leased connection, made again on another one if asyncpg
        refused it before sending because the server had closed the kept connection (every kept
        connection may have been, after a restart: hence up to one try more than are kept). A
        `call` that runs several statements does so in one transaction, which the server rolled
        back when it closed the connection, so making it again from the start is safe."""
        last_try = self._pg_connections
        for attempt in range(last_try + 1):
            try:
                async with _PgLease(self) as conn:
                    return await call(conn)
            except StaleConnection:
                if attempt == last_try:
                    raise

    async def _pg_connect(self) -> tuple:
        try:
            conn = await self.engine.connect()
            raw = await conn.get_raw_connection()
        except Exception as exc:
            if dependency_outage(exc):
                raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
            raise
        return conn, raw.driver_connection

    async def close(self) -> None:
        kept, self._kept = list(self._kept.values()), {}
        kept += self._pg_free
        self._pg_free = []
        for conn, _ in kept:
            with contextlib.suppress(Exception):
                await conn.close()
        if self._sync is not None:
            self._sync.close()
            self._sync = None


async def _discard(kept: tuple) -> None:
    conn = kept[0]
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()


async def release(engine: AsyncEngine) -> None:
    """Close what the hot paths keep (before engine.dispose())."""
    found = _HOT.pop(engine, None)
    if found is not None:
        await found.close()


class _PgLease:
    """Hot.pg()'s lease of a kept asyncpg connection. A class rather than an
    asynccontextmanager: every hot-path statement takes one, and a generator-based context
    manager costs ~2 µs more each (docs/performance.md, "The hot database statements")."""

    __slots__ = ("hot", "kept")

    def __init__(self, hot: _Hot):
        self.hot = hot
        self.kept = None

    async def __aenter__(self):
        hot = self.hot
        await hot._pg_slots.acquire()
        try:
            free = hot._pg_free
            while free and free[-1][1].is_closed():  # closed by the server while it sat idle
                await _discard(free.pop())
            self.kept = free.pop() if free else await hot._pg_connect()
        except BaseException:
            hot._pg_slots.release()
            raise
        return self.kept[1]

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        hot, kept = self.hot, self.kept
        self.kept = None
        try:
            if exc is not None:
                stale = refused_before_sending(exc)
                outage = isinstance(exc, Exception) and dependency_outage(exc)
                # Broken, lost, or left mid-query by a cancellation: never hand it to the next caller.
                if outage or not isinstance(exc, Exception) or kept[1].is_closed():
                    await _discard(kept)
                    kept = None
                if stale:
                    raise StaleConnection(f"kept connection closed by the server: {exc}") from exc
                if outage:
                    raise DatabaseUnavailable(f"database unavailable: {type(exc).__name__}") from exc
            return False
        finally:
            if kept is not None:
                hot._pg_free.append(kept)
            hot._pg_slots.release()
