"""One pipelined connection to Redis per worker, for the store (store/redis.py).

Why not redis-py's asyncio client, which parses the URL here and still serves the rate limits:
it takes a connection from its pool for each command and runs it through retry, event and
observability layers, ~70 us of CPU per GET on this machine against ~40 us for the same GET on
a bare asyncio protocol (docs/performance.md, "The Redis store"), and a sign-in makes about
twenty store calls.
This is that bare protocol: every coroutine of the worker shares one connection, each command
is written at once and its reply arrives in order (Redis answers a connection's commands in the
order it sent them), so a FIFO of futures matches replies to callers, as ioredis and node-redis
do. Replies are parsed by hiredis (the Redis project's C parser) and commands packed by it.

- The URL is read by redis-py's own `parse_url`: redis://, rediss:// (TLS, verified against the
  system's CAs unless the URL says otherwise) and unix://, user name, password and database.
- A lost connection fails the calls waiting on it with `RedisUnavailable` (a ConnectionError:
  a 503, web/errors.py); the next call connects again.
- A call waits at most `timeout` seconds: a watchdog that ticks while calls wait closes a
  connection whose oldest call is overdue, failing everything on it with TimeoutError, so a
  Redis that stops answering (a partition, a frozen primary) costs a 503, not a hung worker.
  A per-call timer would cost more CPU than the GET it guards.
- `transaction()` sends MULTI, the commands and EXEC as one contiguous payload: nothing from
  another coroutine can land inside.
- Commands are written once per pass of the event loop, not once each (node-redis does this by
  default, ioredis as auto-pipelining): a command's payload is queued, and the queue leaves in
  one `transport.write` at the end of the loop's current pass. Each write is a `send` system
  call, and Redis reads and answers what arrives together together, so at load, when many
  requests' commands are made in the same pass, they share one write, one read and one reply on
  each side (`python -m bench.probes.redis_pipe`, docs/performance.md, "The Redis store": at 64
  callers ~4 µs of the worker's CPU a GET against 10-16, and ~1 µs of Redis's against 7-9).
  Writing at once when the connection is idle would split those batches in three (the first
  caller to resume after a burst of replies finds it idle) for no gain a lone caller can measure.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
import time

import hiredis
from redis.connection import SSLConnection, UnixDomainSocketConnection, parse_url


class RedisUnavailable(ConnectionError):
    """Redis could not be reached, or the connection was lost with this call in flight."""


class RedisReplyError(Exception):
    """Redis answered the command with an error (a bug or a misconfiguration, not an outage)."""


# Error replies that mean "not now" rather than "wrong command": a replica promoted or demoted
# mid-failover (READONLY, MASTERDOWN), a Redis still loading its data set (LOADING), a cluster
# resharding (TRYAGAIN, CLUSTERDOWN). They fail the call as RedisUnavailable, a 503.
_UNAVAILABLE_REPLIES = ("LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN")


def _reply_error(reply) -> Exception:
    text = str(reply)
    if text.startswith(_UNAVAILABLE_REPLIES):
        return RedisUnavailable(f"Redis unavailable: {text}")
    return RedisReplyError(text)


_pack = hiredis.pack_command


class _Connection(asyncio.Protocol):
    def __init__(self, timeout: float):
        self.timeout = timeout
        self.reader = hiredis.Reader(encoding="utf-8")
        self.waiting: collections.deque = collections.deque()  # (future, deadline), in send order
        self.transport = None
        self.loop = None  # the loop the connection was made on (asyncio.get_running_loop() is a
        # getpid() system call on Python 3.11, once per command otherwise)
        self.closed = False
        self._watchdog = None
        self._unsent: list[bytes] | None = None  # payloads made this pass, written at its end

    # --- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        self.loop = asyncio.get_running_loop()
        self._watchdog = self.loop.call_later(self._tick(), self._check)

    def data_received(self, data):
        reader, waiting = self.reader, self.waiting
        reader.feed(data)
        while True:
            try:
                reply = reader.gets()
            except hiredis.ProtocolError as exc:  # the stream cannot be trusted any more
                self.fail(RedisUnavailable(f"Redis protocol error: {exc}"))
                return
            if reply is False:
                return
            future = waiting.popleft()[0]
            if future.done():  # its caller was cancelled; the reply still had to be read
                continue
            if isinstance(reply, hiredis.ReplyError):
                _set_exception(future, _reply_error(reply))
            else:
                future.set_result(reply)

    def connection_lost(self, exc):
        self.fail(RedisUnavailable(f"Redis connection lost: {exc}" if exc else "Redis closed the connection"))

    # --- calls ---------------------------------------------------------------------------------

    def send(self, payload: bytes, replies: int) -> list[asyncio.Future]:
        if self.closed:
            raise RedisUnavailable("Redis connection closed")
        loop = self.loop
        deadline = time.monotonic() + self.timeout
        futures = [loop.create_future() for _ in range(replies)]
        self.waiting.extend((f, deadline) for f in futures)
        unsent = self._unsent
        if unsent is None:
            self._unsent = [payload]
            loop.call_soon(self._write_unsent)
        else:
            unsent.append(payload)
        return futures

    def _write_unsent(self) -> None:
        unsent, self._unsent = self._unsent, None
        if unsent and not self.closed:
            self.transport.write(unsent[0] if len(unsent) == 1 else b"".join(unsent))

    def fail(self, exc: BaseException) -> None:
        """Close the connection and fail every call still waiting on it."""
        self._unsent = None  # the calls they were for fail below
        if not self.closed:
            self.closed = True
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self.transport is not None:
                self.transport.abort()
        while self.waiting:
            future = self.waiting.popleft()[0]
            if not future.done():
                _set_exception(future, exc)

    def _tick(self) -> float:
        return max(0.05, min(1.0, self.timeout / 4))

    def _check(self) -> None:
        if self.closed:
            return
        if self.waiting and self.waiting[0][1] < time.monotonic():
            self.fail(TimeoutError(f"Redis did not answer within {self.timeout} s"))
            return
        self._watchdog = self.loop.call_later(self._tick(), self._check)


class RedisPipe:
    """`await pipe.call("GET", key)`; `await pipe.calls([(...), (...)])` (one write, several
    replies); `await pipe.transaction([...])` (MULTI/EXEC, the EXEC reply)."""

    def __init__(self, url: str, timeout: float = 5.0):
        self.options = parse_url(url)
        self.timeout = timeout
        self._connection: _Connection | None = None
        self._connecting: asyncio.Task | None = None

    async def _connect(self) -> _Connection:
        options, loop = self.options, asyncio.get_running_loop()

        def factory():
            return _Connection(self.timeout)

        try:
            async with asyncio.timeout(self.timeout):
                if options.get("connection_class") is UnixDomainSocketConnection:
                    _, connection = await loop.create_unix_connection(factory, options["path"])
                else:
                    context = _tls_context(options) if options.get("connection_class") is SSLConnection else None
                    _, connection = await loop.create_connection(
                        factory, options.get("host", "localhost"), int(options.get("port", 6379)), ssl=context
                    )
                setup = []
                if options.get("password"):
                    user = options.get("username")
                    setup.append(("AUTH", user, options["password"]) if user else ("AUTH", options["password"]))
                if int(options.get("db", 0) or 0):
                    setup.append(("SELECT", str(options["db"])))
                if setup:
                    for future in connection.send(b"".join(_pack(c) for c in setup), len(setup)):
                        await future
        except (OSError, RedisReplyError) as exc:  # refused, unreachable, TLS, wrong password
            raise RedisUnavailable(f"cannot connect to Redis: {exc}") from exc
        return connection

    async def connection(self) -> _Connection:
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.ensure_future(self._connect())  # one attempt for every caller
        connection = await asyncio.shield(self._connecting)
        self._connection = connection
        return connection

    async def call(self, *args):
        connection = self._connection
        if connection is None or connection.closed:
            connection = await self.connection()
        return await connection.send(_pack(args), 1)[0]

    async def calls(self, commands) -> list:
        """Several commands in one write (a pipeline, not atomic); their replies in order.
        The first error reply raises, after every reply has arrived."""
        connection = await self.connection()
        return await _replies(connection.send(b"".join(_pack(c) for c in commands), len(commands)))

    async def transaction(self, commands) -> list:
        """MULTI, the commands, EXEC, in one write: Redis runs them together, nothing between."""
        connection = await self.connection()
        payload = b"".join([_pack(("MULTI",)), *(_pack(c) for c in commands), _pack(("EXEC",))])
        # +OK, +QUEUED for each (an error there, a malformed command, makes EXEC fail too), EXEC's.
        results = (await _replies(connection.send(payload, len(commands) + 2)))[-1]
        if results is None:
            raise RedisReplyError("EXEC aborted")
        for reply in results:
            if isinstance(reply, hiredis.ReplyError):
                raise _reply_error(reply)
        return results

    async def close(self) -> None:
        if self._connecting is not None and not self._connecting.done():
            self._connecting.cancel()
        if self._connection is not None:
            self._connection.fail(RedisUnavailable("store closed"))
            self._connection = None


async def _replies(futures: list[asyncio.Future]) -> list:
    """Every reply, in order; the first error is raised after all have arrived, so no reply is
    left unread behind it."""
    results, error = [], None
    for future in futures:
        try:
            results.append(await future)
        except (RedisReplyError, RedisUnavailable, TimeoutError) as exc:
            error = error or exc
            results.append(None)
    if error is not None:
        raise error
    return results


def _set_exception(future: asyncio.Future, exc: BaseException) -> None:
    future.set_exception(exc)
    future.exception()  # retrieved: a caller cancelled meanwhile must not log "never retrieved"


def _tls_context(options: dict) -> ssl.SSLContext:
    """rediss://: verified TLS (the system's CAs, or ssl_ca_certs; ssl_cert_reqs=none turns
    verification off, as redis-py allows, for a development Redis only)."""
    context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
    if options.get("ssl_certfile"):
        context.load_cert_chain(options["ssl_certfile"], options.get("ssl_keyfile"))
    if str(options.get("ssl_cert_reqs", "required")).lower() in ("none", "0"):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
