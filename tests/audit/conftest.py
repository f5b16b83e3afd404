"""Audit fixtures: throwaway databases (tampering must not touch the shared one) and raw CLI runs."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from tests.support.databases import PostgresUnavailable, create_postgres_database, drop_postgres_database
from tests.support.live import GOVSIGNIN, ROOT, base_env


def run_raw(env: dict, *args: str) -> subprocess.CompletedProcess:
    """`govsignin ARGS` with its exit code, stdout and stderr as they are (export is NDJSON)."""
    return subprocess.run([GOVSIGNIN, *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)


async def start_writer(url: str, count: int, run: str, writer: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.audit.writer", url, str(count), run, writer, cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )


class Scratch:
    """A database of its own, migrated to `revision`, with an Audit on its own engine."""

    def __init__(self, url: str):
        from govsignin.config import Settings

        self.url = url
        self.settings = Settings(env="test", database_url=url)
        self.env = base_env(url, 1)
        self.engine = None
        self.audit = None

    async def migrate(self, revision: str = "head") -> None:
        from govsignin.audit.append import Audit
        from govsignin.db import migrate
        from govsignin.db.engine import create_engine

        await asyncio.to_thread(migrate.upgrade, self.settings, revision)  # Alembic runs its own loop
        if self.engine is None:
            self.engine = create_engine(self.settings)
            self.audit = Audit(self.engine)

    async def sql(self, *statements: str) -> None:
        from sqlalchemy import text

        async with self.engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))

    @property
    def postgres(self) -> bool:
        return self.url.startswith("postgresql")


@pytest.fixture
async def scratch(backend, tmp_path):
    if backend == "sqlite":
        name, url = None, f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
    else:
        try:
            name, url = await asyncio.to_thread(create_postgres_database)  # it runs its own loop
        except PostgresUnavailable as exc:
            pytest.skip(f"PostgreSQL tests skipped: {exc}")
    db = Scratch(url)
    yield db
    if db.engine is not None:
        await db.engine.dispose()
    if name:
        await asyncio.to_thread(drop_postgres_database, name)
