"""Test databases: a fresh SQLite file, or a fresh PostgreSQL database on 127.0.0.1:5432."""

from __future__ import annotations

import asyncio
import os
import uuid

PG_HOST = os.environ.get("GOVSIGNIN_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("GOVSIGNIN_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("GOVSIGNIN_TEST_PG_USER", "postgres")


class PostgresUnavailable(Exception):
    pass


async def _admin(sql: str) -> None:
    import asyncpg

    try:
        conn = await asyncpg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, database="postgres", timeout=5)
    except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
        raise PostgresUnavailable(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} ({exc})") from exc
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_postgres_database() -> tuple[str, str]:
    name = f"govsignin_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    return name, f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_postgres_database(name: str) -> None:
    try:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except PostgresUnavailable:
        pass
