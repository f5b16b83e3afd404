"""The request log line is written out by hand (web/logging.py request_line) for speed; it must
stay byte-for-byte what json.dumps would write for the same object, whatever the path holds."""

from __future__ import annotations

import io
import json

import pytest
import structlog

from govsignin.web import logging as govlog

PATHS = [
    "/authorize",
    '/odd"quote\\backslash',
    "/caf\u00e9/\u2603/\U0001f600",
    "/ctrl\x00\x1f\x7f\ttab\nnewline",
    "/jwt/eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl/end",
    "/</script>",
]
DURATIONS = [0.0, 0.01, 1.5, 12345.67, 0.1 + 0.2]


@pytest.fixture
def captured():
    buffer = io.StringIO()
    govlog.configure_logging(stream=buffer, force=True)
    yield buffer
    govlog.configure_logging(force=True)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("duration", DURATIONS)
def test_the_line_is_what_json_dumps_writes(captured, path, duration):
    logger = structlog.get_logger("govsignin.request")
    govlog.request_line(logger, "abc-123", "POST", "/route/{x}", path, 404, duration)
    line = captured.getvalue()
    assert line.endswith("\n") and line.count("\n") == 1
    parsed = json.loads(line)
    expected = {
        "method": "POST",
        "route": "/route/{x}",
        "path": govlog._scrub(path),
        "status": 404,
        "duration_ms": duration,
        "event": "request",
        "request_id": "abc-123",
        "level": "info",
        "timestamp": parsed["timestamp"],
    }
    assert line == json.dumps(expected) + "\n"
    assert "eyJhbGciOiJFUzI1NiJ9" not in line  # JWT-shaped text is still masked


def test_the_processor_chain_writes_the_same_keys_in_the_same_order(captured):
    logger = structlog.get_logger("govsignin.request")
    govlog.request_line(logger, "id-1", "GET", "/x", "/x", 200, 1.25)
    structlog.contextvars.bind_contextvars(request_id="id-1")
    try:
        logger.info("request", method="GET", route="/x", path="/x", status=200, duration_ms=1.25)
    finally:
        structlog.contextvars.clear_contextvars()
    fast, chain = [json.loads(line) for line in captured.getvalue().splitlines()]
    fast.pop("timestamp"), chain.pop("timestamp")
    assert list(fast.items()) == list(chain.items())
