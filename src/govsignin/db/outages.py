"""Is this exception an outage of a dependency (the database or Redis unreachable or restarting)
rather than a fault of the request or the code? The error handlers answer an outage with a 503
(web/errors.py) and the hot statements use it to drop a broken kept connection (db/hot.py)."""

from __future__ import annotations

import errno
import socket

from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL SQLSTATEs that mean "not reachable right now", not "this request is wrong":
# class 08 (connection exception), admin/crash shutdown, starting up or shutting down
# (asyncpg's CannotConnectNowError), and too many connections.
_OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
_OUTAGE_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                  errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE}


def dependency_outage(exc: BaseException | None) -> bool:
    """True when `exc`, or what caused it, says the database or Redis is unreachable or
    restarting. Looks through SQLAlchemy's wrapper (`.orig`) and the cause chain, because the
    asyncpg dialect wraps server errors such as CannotConnectNowError in a plain DBAPIError."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if getattr(exc, "connection_invalidated", False):
            return True
        if type(exc).__name__ in ("OperationalError", "InterfaceError"):
            return True  # SQLAlchemy's and the drivers': lost connections, SQLite's locked database
        sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES):
            return True
        if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, PoolTimeout)):
            return True
        if isinstance(exc, OSError) and (exc.errno in _OUTAGE_ERRNOS or str(exc).startswith("Multiple exceptions")):
            return True  # asyncio's create_connection to several addresses, all refused
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False
