"""The pipelined Redis connection (store/resp.py): replies reach the right callers when many
coroutines share one connection, errors and lost connections fail only what they must, the
database and credentials in the URL are used, and MULTI/EXEC blocks stay whole."""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
import redis.asyncio as redis_py

from govsignin.store.resp import RedisPipe, RedisReplyError, RedisUnavailable

URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
async def pipe():
    p = RedisPipe(URL, timeout=5)
    try:
        await p.call("PING")
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"Redis tests skipped: no Redis on 127.0.0.1:6379 ({type(exc).__name__})")
    yield p
    await p.close()


@pytest.fixture
async def other():
    """An independent client (redis-py) to look at what the pipe did."""
    client = redis_py.Redis.from_url(URL, decode_responses=True)
    yield client
    await client.aclose()


def key() -> str:
    return f"resp-test-{uuid.uuid4().hex}"


async def test_many_coroutines_on_one_connection_each_get_their_own_reply(pipe):
    keys = {key(): str(i) * random.randint(1, 5000) for i in range(300)}  # replies of mixed sizes
    await pipe.calls([("SET", k, v, "EX", "60") for k, v in keys.items()])
    order = list(keys)
    random.shuffle(order)
    results = await asyncio.gather(*(pipe.call("GET", k) for k in order))
    assert results == [keys[k] for k in order]
    assert len({id(pipe._connection)}) == 1


class CountingTransport:
    """The connection's real transport, counting its writes (each a `send` system call)."""

    def __init__(self, transport):
        self.transport, self.writes = transport, []

    def write(self, data):
        self.writes.append(data)
        self.transport.write(data)

    def __getattr__(self, name):
        return getattr(self.transport, name)


async def test_commands_made_in_one_pass_of_the_loop_leave_in_one_write(pipe):
    connection = pipe._connection
    counting = connection.transport = CountingTransport(connection.transport)
    keys = [key() for _ in range(40)]
    await pipe.calls([("SET", k, k[-6:], "EX", "60") for k in keys])
    assert len(counting.writes) == 1

    # Forty requests' handlers, each making its own call in the same pass: one write between them,
    # in the order made, and each caller is given its own reply.
    counting.writes.clear()
    assert await asyncio.gather(*(pipe.call("GET", k) for k in keys)) == [k[-6:] for k in keys]
    assert [w.count(b"GET") for w in counting.writes] == [40]
    assert counting.writes[0].index(keys[0].encode()) < counting.writes[0].index(keys[39].encode())

    # A caller awaiting each reply before its next call: one write each, nothing held back.
    counting.writes.clear()
    for k in keys[:3]:
        assert await asyncio.wait_for(pipe.call("GET", k), 1) == k[-6:]
    assert len(counting.writes) == 3


async def test_the_url_database_is_selected(pipe, other):
    k = key()
    await pipe.call("SET", k, "here", "EX", "60")
    assert await other.get(k) == "here"  # db 14, as the URL says
    async with redis_py.Redis.from_url("redis://127.0.0.1:6379/0", decode_responses=True) as db0:
        assert await db0.get(k) is None


async def test_an_error_reply_fails_that_call_only(pipe):
    k = key()
    await pipe.call("SET", k, "not a number", "EX", "60")
    results = await asyncio.gather(pipe.call("INCR", k), pipe.call("GET", k), return_exceptions=True)
    assert isinstance(results[0], RedisReplyError) and results[1] == "not a number"
    assert await pipe.call("PING") == "PONG"


async def test_a_transaction_is_one_block(pipe, other):
    k1, k2 = key(), key()
    results = await pipe.transaction([("SET", k1, "a", "EX", "60"), ("SET", k2, "b", "EX", "60"), ("GET", k1)])
    assert results == ["OK", "OK", "a"]
    assert await other.mget(k1, k2) == ["a", "b"]
    with pytest.raises(RedisReplyError):  # a malformed command: EXEC refuses the whole block
        await pipe.transaction([("SET", k1, "changed"), ("SET",)])
    assert await other.get(k1) == "a"
    assert await pipe.call("PING") == "PONG"


async def test_a_killed_connection_fails_its_calls_and_the_next_call_reconnects(pipe, other):
    await pipe.call("CLIENT", "SETNAME", "resp-test-victim")
    victim = pipe._connection
    clients = await other.client_list()
    victim_id = next(c["id"] for c in clients if c.get("name") == "resp-test-victim")
    blocked = asyncio.ensure_future(pipe.call("BLPOP", key(), "10"))  # in flight when the kill lands
    await asyncio.sleep(0.1)
    await other.client_kill_filter(_id=victim_id)
    with pytest.raises(RedisUnavailable):
        await blocked
    assert victim.closed
    assert await pipe.call("PING") == "PONG"  # a new connection
    assert pipe._connection is not victim


async def test_an_unreachable_redis_is_unavailable_not_a_hang():
    pipe = RedisPipe("redis://127.0.0.1:1/0", timeout=2)
    with pytest.raises(RedisUnavailable):
        await pipe.call("PING")
    await pipe.close()


async def test_a_wrong_password_is_unavailable(pipe):
    wrong = RedisPipe("redis://nobody:wrong@127.0.0.1:6379/14", timeout=2)
    with pytest.raises(RedisUnavailable):
        await wrong.call("PING")
    await wrong.close()


async def test_a_silent_server_times_out_every_waiting_call():
    async def silent(reader, writer):
        await reader.read()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pipe = RedisPipe(f"redis://127.0.0.1:{port}/0", timeout=0.3)
    try:
        started = asyncio.get_running_loop().time()
        results = await asyncio.gather(*(pipe.call("GET", "k") for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, TimeoutError) for r in results), results
        assert asyncio.get_running_loop().time() - started < 1.5
    finally:
        await pipe.close()
        server.close()


async def test_a_loading_or_read_only_redis_is_unavailable_not_a_bug():
    """Mid-failover and start-up replies (READONLY, LOADING) are outages (a 503), unlike an
    error in the command itself."""
    async def answering(reader, writer):
        while await reader.read(4096):
            writer.write(b"-LOADING Redis is loading the dataset in memory\r\n")
            writer.write(b"-READONLY You can't write against a read only replica.\r\n")
            await writer.drain()

    server = await asyncio.start_server(answering, "127.0.0.1", 0)
    pipe = RedisPipe(f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0", timeout=2)
    try:
        results = await pipe.calls([("GET", "k"), ("SET", "k", "v")])
    except RedisUnavailable as exc:
        assert "LOADING" in str(exc)
    else:
        raise AssertionError(f"no error: {results}")
    finally:
        await pipe.close()
        server.close()
