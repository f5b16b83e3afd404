"""db/hot.py's lease of a kept asyncpg connection (`async with hot(engine).pg() as conn`): a
connection goes back for the next caller only if it is sound, the slot is always given back,
and an outage becomes DatabaseUnavailable (a 503, web/errors.py)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from govsignin.db.hot import DatabaseUnavailable, _Hot


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
