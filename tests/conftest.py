"""Fixtures shared by the whole suite.

Every test that touches storage runs twice: on embedded SQLite and on PostgreSQL
(127.0.0.1:5432). PostgreSQL parts skip, saying why, only when no server answers.
"""

from __future__ import annotations

import importlib.util

import httpx
import pytest

from tests.support.databases import PostgresUnavailable, create_postgres_database, drop_postgres_database
from tests.support.live import ROOT, LiveServer

pytest_plugins = [p for p in ("tests.support.browser",) if importlib.util.find_spec(p) is not None]

(ROOT / "var").mkdir(exist_ok=True)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'govsignin.db'}"
        return
    try:
        name, url = create_postgres_database()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield url
    drop_postgres_database(name)


@pytest.fixture(scope="session")
def live_server(database_url):
    server = LiveServer(database_url=database_url)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def settings(live_server):
    """Settings for in-process tests, sharing the live server's database and issuer."""
    from govsignin.config import Settings

    return Settings(
        env="test", database_url=live_server.database_url, issuer=live_server.url,
        port=live_server.port, key_cache_seconds=0.5,
    )


@pytest.fixture(scope="session")
async def services(settings):
    from govsignin.services import build_services

    services = build_services(settings)
    await services.keys.ensure_keys()
    yield services
    await services.close()


@pytest.fixture(scope="session")
def app(settings, services):
    from govsignin.app import create_app

    return create_app(settings, services)


@pytest.fixture
async def client(app, settings):
    """An in-process HTTP client (no sockets) with its own cookie jar: one browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer_url()) as c:
        yield c
