"""Which exceptions mean "a dependency is down" (503, Retry-After) and which are bugs (500).

The PostgreSQL restart test found asyncpg's CannotConnectNowError ("the database system is
shutting down") arriving as a plain DBAPIError, which used to become a 500. These pin the
classification without restarting anything."""

from __future__ import annotations

import errno

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from govsignin.web.errors import dependency_outage


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
    OperationalError("SELECT 1", None, Exception("database is locked")),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed"),
    OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432), [Errno 111] ..."),
    OSError(errno.EHOSTUNREACH, "No route to host"),
    TimeoutError(),
], ids=lambda e: type(e).__name__)
def test_outages(exc):
    assert dependency_outage(exc)


@pytest.mark.parametrize("exc", [
    IntegrityError("INSERT", None, Exception("duplicate key")),
    wrapped(asyncpg.exceptions.UndefinedTableError('relation "users" does not exist')),
    wrapped(asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range")),
    FileNotFoundError(errno.ENOENT, "No such file", "template.html"),
    ValueError("a bug"),
], ids=lambda e: type(e).__name__)
def test_bugs_stay_500(exc):
    assert not dependency_outage(exc)
