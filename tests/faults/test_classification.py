"""Which exceptions mean "a dependency is down" (503, Retry-After) and which are bugs (500).

The PostgreSQL restart test found asyncpg's CannotConnectNowError ("the database system is
shutting down") arriving as a plain DBAPIError, which used to become a 500. These pin the
classification without restarting anything."""

from __future__ import annotations

import errno

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from govsignin.db.outages import dependency_outage


def wrapped(orig: Exception) -> DBAPIError:
    """As SQLAlchemy raises it: the driver's error as .orig and as the cause."""
    try:
        try:
            raise orig
        except Exception as inner:
            raise DBAPIError("SELECT 1", None, inner) from inner
    except DBAPIError as exc:
        return exc


@pytest.mark.parametrize("exc", [
    wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")),
    wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command")),
    wrapped(asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already")),
    wrapped(asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle of operation")),
    # The server's FATAL was read on an idle connection, its close not yet: asyncpg refuses the
    # next statement before sending it (the PostgreSQL restart test met it as a 500).
    wrapped(asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress")),
    asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress"),
    asyncpg.exceptions.InternalClientError("not connected"),
    OperationalError("SELECT 1", None, Exception("database is locked")),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432), [Errno 111] ..."),
    OSError(errno.EHOSTUNREACH, "No route to host"),
    TimeoutError(),
    PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00"),
], ids=lambda e: type(e).__name__)
def test_outages(exc):
    assert dependency_outage(exc)


@pytest.mark.parametrize("exc", [
    IntegrityError("INSERT", None, Exception("duplicate key")),
    wrapped(asyncpg.exceptions.UndefinedTableError('relation "users" does not exist')),
    wrapped(asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range")),
    FileNotFoundError(errno.ENOENT, "No such file", "template.html"),
    asyncpg.exceptions.InternalClientError("_on_result: waiter is None"),  # asyncpg's own fault
    ValueError("a bug"),
], ids=lambda e: type(e).__name__)
def test_bugs_stay_500(exc):
    assert not dependency_outage(exc)


# --- through the application: the answer a browser and a relying party get -----------------------


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory):
    """An in-process app whose client registry and store raise whatever `failing_app.raise_` holds."""
    from govsignin.app import create_app
    from govsignin.config import Settings
    from govsignin.services import build_services

    db = tmp_path_factory.mktemp("faults") / "govsignin.db"
    settings = Settings(env="test", database_url=f"sqlite+aiosqlite:///{db}", issuer="http://localhost:9")
    services = build_services(settings)
    app = create_app(settings, services)
    state = {"exc": None}

    async def boom(*args, **kwargs):
        raise state["exc"]

    services.registry.get = boom
    services.store.get = boom
    app.raise_ = state
    return app


def answers(app, exc):
    import httpx

    app.raise_["exc"] = exc

    async def go():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:9") as http:
            page = await http.get("/authorize?client_id=x&response_type=code&redirect_uri=https://a.example/cb")
            info = await http.get("/userinfo", headers={"Authorization": "Bearer abc"})
            return page, info

    return go()


@pytest.mark.parametrize("exc", [
    wrapped(asyncpg.exceptions.CannotConnectNowError("the database system is shutting down")),
    PoolTimeout("QueuePool limit of size 10 overflow 10 reached, connection timed out, timeout 30.00"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432), [Errno 111] ..."),
], ids=lambda e: type(e).__name__)
async def test_outage_answers_503_page_and_json(failing_app, exc):
    page, info = await answers(failing_app, exc)
    assert page.status_code == 503 and page.headers["retry-after"]
    assert "Sorry, the service is unavailable" in page.text and "Traceback" not in page.text
    assert info.status_code == 503 and info.headers["retry-after"]
    assert info.json()["error"] == "temporarily_unavailable"


async def test_a_bug_is_still_a_500(failing_app):
    page, info = await answers(failing_app, IntegrityError("INSERT", None, Exception("duplicate key")))
    assert page.status_code == 500 and info.status_code == 500
    assert "Traceback" not in page.text + info.text
