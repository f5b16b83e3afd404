"""JSON logs with structlog: one object per line, on stdout (docs/observability.md).

- Every line carries `request_id` when it is written during a request (bound into structlog's
  contextvars by web/observability.py), `level`, `timestamp` (UTC, ISO 8601) and `event`.
- Standard-library loggers (uvicorn, SQLAlchemy, …) are rendered by the same processors, so
  the output is one format and goes through the same redaction.
- Nothing here logs secrets by design: request lines carry the route template and the path
  without its query string. `redact` is belt and braces on top: values under sensitive keys
  become "[redacted]", and JWT-shaped strings in messages and tracebacks are masked.
- Tracebacks are plain text (`format_exc_info`): never structlog's dict tracebacks, whose
  `show_locals` would print local variables (passwords, codes, tokens) into the log.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import datetime
import logging
import re
import sys
import time
from json.encoder import encode_basestring_ascii as _json_string
from typing import TextIO

import structlog
import structlog.contextvars

REDACTED = "[redacted]"

# Exact keys (lower case) that are sensitive whatever they hold.
SENSITIVE_KEYS = frozenset(
    {
        "code", "state", "nonce", "request", "request_uri", "login_hint", "id_token_hint",
        "query", "query_string", "headers", "body", "form", "params", "email", "phone",
        "otp", "totp", "pin", "jti", "claims",
    }
)
# Any key containing one of these is sensitive: password, new_password, client_secret,
# access_token, id_token, client_assertion, code_verifier, session_cookie, authorization…
SENSITIVE_PARTS = (
    "password", "secret", "token", "assertion", "cookie", "authorization", "verifier",
    "credential", "api_key", "apikey", "private", "signature",
)
_key_cache: dict[str, bool] = {}

# A JWT / JWS / JWE compact serialisation (client assertions, ID tokens, request objects).
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*")


def _is_sensitive(key: str) -> bool:
    hit = _key_cache.get(key)
    if hit is None:
        low = key.lower().replace("-", "_")
        hit = low in SENSITIVE_KEYS or any(part in low for part in SENSITIVE_PARTS)
        if len(_key_cache) < 4096:  # keys come from code, but stay bounded anyway
            _key_cache[key] = hit
    return hit


def _scrub(value):
    if isinstance(value, str):
        return JWT_SHAPED.sub(REDACTED, value) if "eyJ" in value else value
    if isinstance(value, dict):
        return {k: (REDACTED if _is_sensitive(str(k)) else _scrub(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v) for v in value]
    return value


def redact(logger, method_name, event_dict):
    """structlog processor: the last line of defence before rendering."""
    for key, value in event_dict.items():
        if _is_sensitive(key):
            event_dict[key] = REDACTED
        elif isinstance(value, (str, dict, list, tuple)):
            event_dict[key] = _scrub(value)
    return event_dict


def _drop_color_message(logger, method_name, event_dict):
    event_dict.pop("color_message", None)  # uvicorn's duplicate with ANSI codes
    return event_dict


class _Sink:
    """Where every line goes. Loggers are cached on first use (cheaper per call), so they
    hold this object and a re-configuration swaps only its target.

    Request lines are written once per event-loop pass (`write_soon`): under load one pass
    answers many requests, and one write system call for all their lines costs a fraction of
    one each (1.5-2.5 us a request here; with PYTHONUNBUFFERED, as in the Docker image, every
    write is a system call). Any other line (`write`: warnings, errors, security events)
    first writes out the pending request lines, so the order of lines never changes, and is
    flushed at once. nginx's `access_log ... buffer= flush=` makes the same trade over seconds;
    here the wait is the rest of one loop pass."""

    def __init__(self):
        self.target: TextIO | None = None  # None: whatever sys.stdout is at the time
        # Request lines' fields (request_line). A deque: its append and popleft are atomic, so
        # a line written from another thread can drain it while the loop adds to it, no lock.
        self._pending: collections.deque[tuple] = collections.deque()
        # The loop with a pass-end write scheduled. A loop can stop before running it (a test
        # client's loop per request), so a line on another loop schedules its own.
        self._loop = None

    def write(self, text: str) -> int:
        if self._pending:
            self.drain(flush=False)
        return (self.target or sys.stdout).write(text)

    def flush(self) -> None:
        (self.target or sys.stdout).flush()

    def write_soon(self, fields: tuple) -> None:
        """A request line (request_line's fields) at the end of this event-loop pass; at once
        outside a running loop."""
        self._pending.append(fields)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.drain()
            return
        if self._loop is not loop:
            self._loop = loop
            loop.call_soon(self.drain)

    def drain(self, flush: bool = True) -> None:
        """Write out the pending request lines."""
        self._loop = None
        lines, take = [], self._pending.popleft
        try:
            while True:
                lines.append(take())
        except IndexError:  # empty (another thread may be draining too)
            pass
        if lines:
            target = self.target or sys.stdout
            target.write(_render_lines(lines))
            if flush:
                target.flush()


SINK = _Sink()
atexit.register(SINK.drain)  # the last pass's request lines, on a clean exit
_configured = False
_info_enabled = True  # the configured level lets INFO lines through
_second = (-1, "")  # (unix second, its ISO 8601 text): the timestamp's prefix, made once a second


def _utc_timestamp(now: float) -> str:
    """TimeStamper(fmt="iso", utc=True)'s text for `now`, the seconds formatted once a second."""
    global _second
    whole = int(now)
    second, prefix = _second
    if whole != second:
        prefix = datetime.datetime.fromtimestamp(whole, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (whole, prefix)
    micro = int((now - whole) * 1_000_000)
    return f"{prefix}.{micro:06d}Z" if micro else prefix + "Z"


def _only_request_id_bound() -> bool:
    """True while `request_id` is the only key ever bound into structlog's contextvars (so the
    request line's context is known without scanning the whole context)."""
    names = getattr(structlog.contextvars, "_CONTEXT_VARS", None)
    return names is not None and len(names) <= 1


def request_line(logger, request_id: str, method: str, route: str, path: str, status: int, duration_ms: float) -> None:
    """The per-request log line (web/observability.py), the same JSON object, keys and order as
    `logger.info("request", ...)` through the processors above, without running them: ~5 us
    instead of ~15. The fields are known: only `path` can hold caller text, so only it is
    scrubbed (JWT-shaped strings), as `redact` would. Anything else bound into the context,
    a non-default configuration or a level above INFO takes the processor chain (or nothing)."""
    if not _info_enabled:
        return
    if not (_fast_lines and _only_request_id_bound()):
        logger.info("request", method=method, route=route, path=path, status=status, duration_ms=duration_ms)
        return
    # json.dumps of that dict, written out: only the two strings that can hold arbitrary text
    # go through the JSON string encoder (the C one); method is from a fixed set, request_id
    # and timestamp are made of safe characters (observability.valid_request_id), and a float
    # renders as repr(). tests/unit/test_request_line.py checks it against json.dumps.
    prefix = _prefixes.get((method, route)) if path == route else None
    if prefix is None:
        prefix = f'{{"method": "{method}", "route": {_json_string(route)}, "path": {_json_string(_scrub(path))}, '
        if path == route and len(_prefixes) < 1024:  # a route's own path (bounded: the app's routes)
            _prefixes[method, route] = prefix
    # The rest is written out with the other lines of this loop pass (_render_lines).
    SINK.write_soon((prefix, status, duration_ms, request_id, time.time()))


def _render_lines(pending: list[tuple]) -> str:
    """The request lines of one loop pass, from request_line's fields, as one string."""
    stamp = _utc_timestamp
    return "".join([
        f'{prefix}"status": {status}, "duration_ms": {duration_ms!r}, "event": "request", '
        f'"request_id": "{request_id}", "level": "info", "timestamp": "{stamp(now)}"}}\n'
        for prefix, status, duration_ms, request_id, now in pending
    ])


# (method, route) -> the line's start up to "status", for requests whose path is the route's
# own (parameterless routes: every page, the token endpoint, the documents).
_prefixes: dict[tuple[str, str], str] = {}
_fast_lines = False  # set by configure_logging: the request line may skip the processor chain


def configure_logging(settings=None, stream: TextIO | None = None, force: bool = False) -> None:
    """Configure structlog and the standard library once per process (create_app calls it).

    `stream` (default stdout) and `force` exist for tests that capture the output.
    """
    global _configured, _info_enabled, _fast_lines
    level_name = (getattr(settings, "log_level", None) or "info").upper()
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        level = logging.INFO
    if stream is not None or force:
        SINK.drain()
        SINK.target = stream
    if _configured and not force:
        return
    _info_enabled = level <= logging.INFO

    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.WriteLoggerFactory(file=SINK),
        cache_logger_on_first_use=True,
    )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, _drop_color_message, *shared],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.JSONRenderer()],
    )
    handler = logging.StreamHandler(SINK)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_govsignin", False)]
    handler._govsignin = True
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # uvicorn's access log prints the full URL, query string included (state, nonce, request
    # objects on /authorize). Our own request line replaces it; never let it through.
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
    access.disabled = True
    # httpx logs every request's full URL at INFO (query strings included): warnings only.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    _fast_lines = True  # request_line() renders exactly what the chain above would
    _configured = True
