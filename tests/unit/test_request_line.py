"""The request log line is written out by hand (web/logging.py request_line) for speed; it must
stay byte-for-byte what json.dumps would write for the same object, whatever the path holds."""

from __future__ import annotations

import asyncio
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


async def test_request_lines_are_written_once_a_loop_pass_in_order_with_other_lines(captured):
    """Within a running loop, request lines wait for the end of the loop pass; any other line
    writes them out first, so the order is kept; nothing is left behind."""
    logger = structlog.get_logger("govsignin.request")
    govlog.request_line(logger, "r-1", "GET", "/a", "/a", 200, 0.1)
    govlog.request_line(logger, "r-2", "GET", "/b", "/b", 200, 0.1)
    assert captured.getvalue() == ""  # not yet: the pass is not over
    await asyncio.sleep(0)  # the loop's next pass
    assert [json.loads(line)["request_id"] for line in captured.getvalue().splitlines()] == ["r-1", "r-2"]

    govlog.request_line(logger, "r-3", "GET", "/c", "/c", 200, 0.1)
    structlog.get_logger("test").warning("another line")  # writes r-3 out first
    events = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [e.get("request_id") or e["event"] for e in events] == ["r-1", "r-2", "r-3", "another line"]


def test_a_routes_cached_line_start_matches_the_written_out_line(captured):
    """The line's start is cached per (method, route) when the path is the route's own; a path
    that differs (a parameterised route, an unknown URL) is never cached."""
    logger = structlog.get_logger("govsignin.request")
    for path in ("/same", "/same", "/other/caf\u00e9", "/other/x"):
        govlog.request_line(logger, "id", "GET", "/same" if path == "/same" else "/other/{x}", path, 200, 1.0)
    parsed = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [p["path"] for p in parsed] == ["/same", "/same", "/other/caf\u00e9", "/other/x"]
    assert ("GET", "/same") in govlog._prefixes and ("GET", "/other/{x}") not in govlog._prefixes
