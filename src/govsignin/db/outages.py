"""Is this exception an outage of a dependency (the database or Redis unreachable or restarting)
rather than a fault of the request or the code? The error handlers answer an outage with a 503
(web/errors.py) and the hot statements use it to drop a broken kept connection (db/hot.py)."""

from __future__ import annotations

import errno
import socket

from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL SQLSTATEs that mean "not reachable right now", not "this request is wrong":
# class 08 (connection exception), admin/crash shutdown, starting up or shutting down
# (asyncpg's CannotConnectNowError), idle_session_timeout, and too many connections.
_OUTAGE_SQLSTATES = {"57P01", "57P02", "57P03", "57P05", "53300"}
# asyncpg refuses a statement with these (InternalClientError) when its connection's protocol is
# not idle or not connected. The lease (db/hot.py) and SQLAlchemy's adapter each give a
# connection to one caller at a time, so in this service that only happens when the server
# broke the connection while it sat idle: a FATAL error (an admin shutdown, idle_session_timeout,
# pg_terminate_backend) was read, and the close that follows it not yet. Nothing was sent.
# Both are raised before anything is written (coreproto.pyx: _ensure_connected, _set_state),
# and asyncpg then aborts the connection (protocol.pyx: _coreproto_error). Through SQLAlchemy
# that is already a disconnect (connection_invalidated, below); on the hot paths' kept
# connections (db/hot.py) nothing said so, and the CI's PostgreSQL restart test met a 500.
_NOT_IDLE_MESSAGES = ("cannot switch to state", "not connected")
_OUTAGE_ERRNOS = {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                  errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE}


def refused_before_sending(exc: BaseException) -> bool:
    """asyncpg refused the statement because the connection is broken (see _NOT_IDLE_MESSAGES):
    the statement never reached the server, so it can be made again on another connection."""
    return type(exc).__name__ == "InternalClientError" and str(exc).startswith(_NOT_IDLE_MESSAGES)


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
        if refused_before_sending(exc):
            return True  # a connection the server closed while it sat idle
        sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
        if isinstance(sqlstate, str) and (sqlstate.startswith("08") or sqlstate in _OUTAGE_SQLSTATES):
            return True
        if isinstance(exc, (ConnectionError, TimeoutError, socket.gaierror, PoolTimeout)):
            return True
        if isinstance(exc, OSError) and (exc.errno in _OUTAGE_ERRNOS or str(exc).startswith("Multiple exceptions")):
            return True  # asyncio's create_connection to several addresses, all refused
        exc = getattr(exc, "orig", None) or exc.__cause__ or exc.__context__
    return False
