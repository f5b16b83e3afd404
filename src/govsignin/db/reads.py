"""Reads on the hot path (a sign-in's account reads), built once.

A `Query` is a SQLAlchemy Core select, compiled once for the engine's dialect and run on the hot
paths' own connections (db/hot.py): on SQLite with sqlite3 on the event loop (~2 us instead of a
~70 us hop to aiosqlite's thread), on PostgreSQL on a kept asyncpg connection (~30 us instead of
~340 through SQLAlchemy's pool and execution). Values go through the columns' own bind and
result processors, so rows hold exactly what SQLAlchemy returns.
"""

from __future__ import annotations

from govsignin.db.hot import SQLiteBusy, arguments, compiled, hot, rows_of


class Query:
    def __init__(self, stmt):
        self.stmt = stmt

    async def all(self, engine, **params) -> list[tuple]:
        sql, order, results = compiled(engine.dialect, self.stmt)
        args = arguments(order, params)
        h = hot(engine)
        if h.sqlite:
            try:
                raw = h.sqlite_run(_fetch_all, sql, args)  # reads do not wait in WAL mode
            except SQLiteBusy:  # a WAL recovery in progress: wait for it where waiting is allowed
                raw = await (await h.sqlite_driver("reads")).execute_fetchall(sql, args)
        else:
            raw = await h.pg_run(lambda conn: conn.fetch(sql, *args))
        return rows_of(raw, results)

    async def first(self, engine, **params) -> tuple | None:
        rows = await self.all(engine, **params)
        return rows[0] if rows else None


def _fetch_all(conn, sql: str, args: tuple) -> list:
    return conn.execute(sql, args).fetchall()
