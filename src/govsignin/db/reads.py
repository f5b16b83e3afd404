"""Reads on the hot path, built once.

On aiosqlite, SQLAlchemy's adapter makes four or five thread hops per query (cursor, execute,
fetch, close); the same query compiled once to plain SQL runs in one aiosqlite call on a
connection kept for the hot reads (db/dedicated.py), and its values go through the columns' own
result processors, so rows hold exactly what SQLAlchemy returns. Elsewhere, the Core statement
as before.
"""

from __future__ import annotations

from govsignin.db.dedicated import sqlite_driver


class Query:
    def __init__(self, stmt):
        self.stmt = stmt
        self._sqlite = None

    def _compiled(self, dialect):
        if self._sqlite is None:
            compiled = self.stmt.compile(dialect=dialect)
            defaults = {name: bind.value for bind, name in compiled.bind_names.items()}
            processors = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                          for c in self.stmt.selected_columns]
            self._sqlite = (str(compiled), tuple(compiled.positiontup), defaults,
                            processors if any(processors) else None)
        return self._sqlite

    async def all(self, engine, **params) -> list[tuple]:
        if engine.dialect.driver == "aiosqlite":
            sql, order, defaults, processors = self._compiled(engine.dialect)
            values = {**defaults, **params}
            driver = await sqlite_driver(engine, "reads")
            rows = await driver.execute_fetchall(sql, tuple(values[name] for name in order))
            if processors is None:
                return [tuple(row) for row in rows]
            return [tuple(p(v) if p else v for p, v in zip(processors, row)) for row in rows]
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(self.stmt, params)).all()]

    async def first(self, engine, **params) -> tuple | None:
        rows = await self.all(engine, **params)
        return rows[0] if rows else None
