"""Async engine and session factory, one per process."""

from __future__ import annotations

import time

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from govsignin.config import Settings
from govsignin.db.hot import keep_connections


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.database_url
    if url.startswith("sqlite"):
        _ensure_sqlite_dir(url)
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside one writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        _skip_idle_commit_and_rollback(engine)
        return engine
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    _ping_idle_connections(engine)
    keep_connections(engine, settings.db_hot_connections)
    return engine


# A pooled connection unused for this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling for idle connections only (PostgreSQL).

    `pool_pre_ping=True` pings on every checkout: with asyncpg that is BEGIN, a query and
    ROLLBACK, three round trips before each store operation or ORM session. Connections in
    use are checked out again within milliseconds, so only one that has sat idle for
    PING_AFTER_IDLE_SECONDS is pinged (and replaced if the ping fails: the pool retries the
    checkout with a new connection). A busy connection that PostgreSQL dropped fails its next
    statement instead: SQLAlchemy sees a disconnect, invalidates every connection the pool
    holds from before it, and the request answers 503 with Retry-After (web/errors.py), as
    any request in flight during an outage does.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection, record, proxy):
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.sync_engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure: replace this connection
            raise DisconnectionError("idle connection failed its ping") from exc


def _skip_idle_commit_and_rollback(engine: AsyncEngine) -> None:
    """SQLite (aiosqlite): no COMMIT or ROLLBACK call when the connection is not in a transaction.

    SQLAlchemy rolls back every connection it returns to the pool (even after a commit) and at
    the end of every read-only `connect()` block or ORM session; with aiosqlite each of those
    is a hand-off to the connection's thread and back (~60 us of CPU) that does nothing, since
    sqlite3 only opens a transaction before a write. `in_transaction` (sqlite3's own
    `!sqlite3_get_autocommit`) says whether there is one; when there is none, sqlite3's
    `rollback()` and `commit()` are no-ops, so skipping the call changes nothing else.
    """
    dialect = engine.sync_engine.dialect
    rollback, commit = dialect.do_rollback, dialect.do_commit

    def idle(dbapi_connection) -> bool:
        try:
            return not dbapi_connection.driver_connection.in_transaction
        except Exception:  # noqa: BLE001 - closed or unknown: let SQLAlchemy do what it does
            return False

    def do_rollback(dbapi_connection):
        if not idle(dbapi_connection):
            rollback(dbapi_connection)

    def do_commit(dbapi_connection):
        if not idle(dbapi_connection):
            commit(dbapi_connection)

    dialect.do_rollback = do_rollback
    dialect.do_commit = do_commit


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


def _ensure_sqlite_dir(url: str) -> None:
    import os

    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
