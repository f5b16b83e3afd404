"""db/hot.py's lease of a kept asyncpg connection (`async with hot(engine).pg() as conn`): a
connection goes back for the next caller only if it is sound, the slot is always given back,
and an outage becomes DatabaseUnavailable (a 503, web/errors.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from govsignin.db.hot import DatabaseUnavailable, StaleConnection, _Hot


@pytest.fixture
async def lease_hot(database_url, backend):
    if backend != "postgresql":
        pytest.skip("the asyncpg lease is PostgreSQL's")
    engine = create_async_engine(database_url)
    h = _Hot(engine, connections=3)
    yield h
    await h.close()
    await engine.dispose()


async def test_a_sound_connection_goes_back_for_the_next_caller(lease_hot):
    async with lease_hot.pg() as conn:
        assert await conn.fetchval("SELECT 1") == 1
    assert [k[1] for k in lease_hot._pg_free] == [conn]
    async with lease_hot.pg() as again:
        assert again is conn
    assert lease_hot._pg_slots._value == 3  # every slot given back


async def test_an_application_error_keeps_the_connection_and_propagates_unchanged(lease_hot):
    with pytest.raises(ValueError, match="not the database's fault"):
        async with lease_hot.pg() as conn:
            raise ValueError("not the database's fault")
    assert [k[1] for k in lease_hot._pg_free] == [conn] and not conn.is_closed()
    assert lease_hot._pg_slots._value == 3


async def test_a_cancelled_caller_never_hands_its_connection_on(lease_hot):
    entered = asyncio.Event()

    async def caller():
        async with lease_hot.pg() as conn:
            entered.set()
            await conn.execute("SELECT pg_sleep(10)")

    task = asyncio.ensure_future(caller())
    await entered.wait()
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert lease_hot._pg_free == []  # left mid-query: discarded
    assert lease_hot._pg_slots._value == 3


async def test_an_outage_becomes_database_unavailable_and_the_connection_is_dropped(lease_hot):
    with pytest.raises(DatabaseUnavailable) as raised:
        async with lease_hot.pg():
            raise ConnectionResetError("connection reset by peer")
    assert isinstance(raised.value.__cause__, ConnectionResetError)
    assert lease_hot._pg_free == []
    assert lease_hot._pg_slots._value == 3


async def test_the_hot_paths_keep_as_many_connections_as_the_settings_say(database_url, backend):
    """GOVSIGNIN_DB_HOT_CONNECTIONS: a third caller waits while two leases are out, and gets the
    connection the first gives back (the pool's other connections stay for everything else)."""
    if backend != "postgresql":
        pytest.skip("the asyncpg lease is PostgreSQL's")
    from govsignin.config import Settings
    from govsignin.db.engine import create_engine
    from govsignin.db.hot import hot, release

    engine = create_engine(Settings(env="test", database_url=database_url, db_hot_connections=2))
    h = hot(engine)
    leases = [h.pg(), h.pg(), h.pg()]
    try:
        a = await leases[0].__aenter__()
        b = await leases[1].__aenter__()
        third = asyncio.ensure_future(leases[2].__aenter__())
        await asyncio.sleep(0.2)
        assert not third.done()  # both kept connections are out: the third caller waits
        await leases[0].__aexit__(None, None, None)
        assert await asyncio.wait_for(third, 5) is a  # and is handed the one given back
        assert b is not a
        await leases[1].__aexit__(None, None, None)
        await leases[2].__aexit__(None, None, None)
        assert h._pg_slots._value == 2 and len(h._pg_free) == 2
    finally:
        await release(engine)
        await engine.dispose()


# --- a kept connection the server closed while it sat idle ----------------------------------------


class HoldingProxy:
    """A TCP proxy to PostgreSQL that passes bytes both ways at once but, when the server closes a
    connection, holds that close back from the client until `release` is set. It stages the moment
    between reading the server's FATAL error on an idle connection (a restart, idle_session_timeout,
    pg_terminate_backend) and reading the close that follows it, when asyncpg's protocol is no
    longer idle yet the connection does not look closed."""

    def __init__(self):
        self.server_closed = asyncio.Event()
        self.release = asyncio.Event()
        self.tasks: set[asyncio.Task] = set()

    async def start(self) -> int:
        from tests.support.databases import PG_HOST, PG_PORT

        async def handle(client_reader, client_writer):
            server_reader, server_writer = await asyncio.open_connection(PG_HOST, PG_PORT)

            async def pipe(reader, writer, holds_close: bool):
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
                if holds_close:
                    self.server_closed.set()
                    await self.release.wait()
                writer.close()

            for task in (pipe(client_reader, server_writer, False), pipe(server_reader, client_writer, True)):
                t = asyncio.ensure_future(task)
                self.tasks.add(t)

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        self.release.set()
        self.server.close()
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@pytest.fixture
async def proxied_hot(database_url, backend):
    if backend != "postgresql":
        pytest.skip("the asyncpg lease is PostgreSQL's")
    from sqlalchemy.engine import make_url

    proxy = HoldingProxy()
    port = await proxy.start()
    engine = create_async_engine(make_url(database_url).set(port=port))
    h = _Hot(engine, connections=2)
    yield h, proxy
    proxy.release.set()  # every held close through first: closing a connection waits for it
    await h.close()
    await engine.dispose()
    await proxy.close()


BACKEND_PID = "SELECT pg_backend_pid()"


async def terminate_backend_and_read_its_error(pid: int, proxy: HoldingProxy, database_url: str) -> None:
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()
    await asyncio.wait_for(proxy.server_closed.wait(), 10)
    await asyncio.sleep(0.1)  # the client reads the FATAL error the proxy passed on; the close is held


async def test_a_statement_refused_on_a_connection_the_server_closed_is_a_503_not_a_500(proxied_hot, database_url):
    h, proxy = proxied_hot
    pid = await h.pg_run(lambda conn: conn.fetchval(BACKEND_PID))
    [(_, kept)] = h._pg_free
    await terminate_backend_and_read_its_error(pid, proxy, database_url)
    assert not kept.is_closed()  # the staged moment: it looks open, its protocol is not idle

    with pytest.raises(StaleConnection) as raised:  # a DatabaseUnavailable: a 503 (web/errors.py)
        async with h.pg() as conn:
            await conn.fetchval("SELECT 1")
    assert "cannot switch to state" in str(raised.value.__cause__)
    assert h._pg_free == [] and h._pg_slots._value == 2  # dropped, slot given back


async def test_pg_run_makes_a_refused_statement_again_on_a_fresh_connection(proxied_hot, database_url):
    h, proxy = proxied_hot
    first_pid = await h.pg_run(lambda conn: conn.fetchval(BACKEND_PID))
    await terminate_backend_and_read_its_error(first_pid, proxy, database_url)

    second_pid = await h.pg_run(lambda conn: conn.fetchval(BACKEND_PID))
    assert second_pid != first_pid  # answered, on another backend, with no error to the caller
    assert len(h._pg_free) == 1 and h._pg_slots._value == 2


async def test_a_kept_connection_found_closed_is_never_handed_out(proxied_hot, database_url):
    h, proxy = proxied_hot
    first_pid = await h.pg_run(lambda conn: conn.fetchval(BACKEND_PID))
    [(_, kept)] = h._pg_free
    await terminate_backend_and_read_its_error(first_pid, proxy, database_url)
    proxy.release.set()  # now the close reaches the client too
    for _ in range(100):
        if kept.is_closed():
            break
        await asyncio.sleep(0.02)
    assert kept.is_closed()

    async with h.pg() as conn:  # not the closed one, and no error
        assert conn is not kept
        assert await conn.fetchval(BACKEND_PID) != first_pid
