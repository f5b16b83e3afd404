"""The Store contract, on the database and on Redis (skipped, saying why, without Redis)."""

import asyncio
import uuid

import pytest


@pytest.fixture(params=["database", "redis"])
async def store(request, services):
    if request.param == "database":
        yield services.store if not services.settings.redis_url else None
        return
    from govsignin.store.redis import RedisStore

    redis_store = RedisStore("redis://127.0.0.1:6379/15", prefix=f"test-{uuid.uuid4().hex[:6]}:")
    try:
        await redis_store.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        pytest.skip(f"Redis tests skipped: no Redis on 127.0.0.1:6379 ({type(exc).__name__})")
    yield redis_store
    await redis_store.close()


def key():
    return f"k-{uuid.uuid4().hex}"


async def test_set_get_delete(store):
    k = key()
    assert await store.get(k) is None
    await store.set(k, "v", 60)
    assert await store.get(k) == "v"
    await store.delete(k)
    assert await store.get(k) is None


async def test_add_is_set_if_absent(store):
    k = key()
    assert await store.add(k, "first", 60)
    assert not await store.add(k, "second", 60)
    assert await store.get(k) == "first"


async def test_pop_is_single_use_even_when_raced(store):
    k = key()
    await store.set(k, "code", 60)
    results = await asyncio.gather(*(store.pop(k) for _ in range(5)))
    assert results.count("code") == 1 and results.count(None) == 4


async def test_a_transaction_commits_its_writes_together_or_not_at_all(store):
    a, b, gone = key(), key(), key()
    await store.set(gone, "old", 60)
    async with store.transaction() as tx:
        await tx.set_many([(a, "1", 60)])
        await tx.set(b, "2", 60)
        await tx.delete(gone)
    assert [await store.get(k) for k in (a, b, gone)] == ["1", "2", None]

    c = key()
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await tx.set(c, "3", 60)
            await tx.delete(a)
            raise RuntimeError("the block failed")
    assert await store.get(c) is None and await store.get(a) == "1"  # rolled back / never sent


async def test_incr_counts_and_expiry_starts_at_creation(store):
    k = key()
    assert [await store.incr(k, 60) for _ in range(3)] == [1, 2, 3]


async def test_entries_expire(store):
    k = key()
    await store.set(k, "v", 0.3)
    assert await store.add(f"{k}-x", "v", 0.3)
    await asyncio.sleep(0.6)
    assert await store.get(k) is None
    assert await store.add(f"{k}-x", "again", 60)  # an expired entry never blocks
    await store.incr(f"{k}-n", 0.3)
    await asyncio.sleep(0.6)
    assert await store.incr(f"{k}-n", 60) == 1


async def test_replace_writes_only_over_a_live_entry(store):
    live, gone, expired = key(), key(), key()
    await store.set(live, "old", 60)
    await store.set(expired, "old", 0.2)
    await asyncio.sleep(0.4)
    for k in (live, gone, expired):
        await store.replace(k, "new", 60)
    # A record deleted (or expired) since it was read is not brought back by writing it.
    assert [await store.get(k) for k in (live, gone, expired)] == ["new", None, None]
    assert await store.add(expired, "fresh", 60)  # and it still counts as absent


async def test_replace_in_a_transaction(store):
    live, gone, other = key(), key(), key()
    await store.set(live, "old", 60)
    async with store.transaction() as tx:
        await tx.replace(live, "new", 60)
        await tx.replace(gone, "new", 60)
        await tx.set(other, "set", 60)
    assert [await store.get(k) for k in (live, gone, other)] == ["new", None, "set"]


async def test_a_transactions_writes_land_in_the_order_they_were_made(store):
    """Queued writes go out in order: a delete then a set of one key leaves it set, the other way
    round leaves it gone (a store may group writes, never reorder them)."""
    kept, dropped = key(), key()
    await store.set(kept, "old", 60)
    await store.set(dropped, "old", 60)
    async with store.transaction() as tx:
        await tx.delete(kept)
        await tx.set(kept, "new", 60)
        await tx.set(dropped, "new", 60)
        await tx.delete(dropped)
        await tx.set_many([(key(), "x", 60), (key(), "y", 60)])  # consecutive sets, grouped
    assert await store.get(kept) == "new" and await store.get(dropped) is None


async def test_the_postgresql_store_runs_on_kept_connections_and_a_failed_batch_writes_nothing(services):
    """On PostgreSQL the store is PostgresStore (kept asyncpg connections, db/hot.py). A batch
    whose last statement fails (a key longer than the column) leaves nothing of the batch behind,
    and the connection goes on serving."""
    from govsignin.store.database import PostgresStore

    store = services.store
    if services.engine.dialect.name != "postgresql" or services.settings.redis_url:
        pytest.skip("the PostgreSQL store only")
    assert isinstance(store, PostgresStore)
    first, kept = key(), key()
    await store.set(kept, "before", 60)
    with pytest.raises(Exception) as failed:
        async with store.transaction() as tx:
            await tx.set(first, "1", 60)
            await tx.delete(kept)
            await tx.replace(kept, "x", 60)
            await tx.set("k" * 300, "too long a key", 60)
    assert "StringDataRightTruncation" in type(failed.value).__name__, repr(failed.value)
    assert await store.get(first) is None and await store.get(kept) == "before"
    assert await store.incr(first, 60) == 1 and await store.incr(first, 60) == 2


async def test_the_key_ring_outlives_a_database_outage(settings):
    """JWKS and signing keep working from the keys already held while the database is away."""
    from govsignin.services import build_services

    services = build_services(settings.model_copy(update={"key_cache_seconds": 0.0}), with_templates=False)
    try:
        ring = await services.keys.ring()

        async def unreachable():
            raise ConnectionRefusedError("database down")

        services.keys._load = unreachable
        assert (await services.keys.ring()).jwks_json == ring.jwks_json
    finally:
        await services.close()


async def test_a_stalled_redis_fails_each_operation_in_time(monkeypatch):
    """A Redis that accepts connections and never answers (a partition, a frozen primary): each
    store operation gives up after OPERATION_TIMEOUT with TimeoutError (a 503), instead of
    waiting forever now that redis-py's own per-socket timeout is off."""
    from govsignin.store import redis as redis_store_module
    from govsignin.store.redis import RedisStore

    monkeypatch.setattr(redis_store_module, "OPERATION_TIMEOUT", 0.3)
    accepted = []

    async def silent(reader, writer):
        accepted.append(writer)
        await reader.read()  # read until the client hangs up; never answer

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = RedisStore(f"redis://127.0.0.1:{port}/0")
    try:
        for operation in (store.get("k"), store.set("k", "v", 60), store.add("k", "v", 60), store.incr("n", 60)):
            started = asyncio.get_running_loop().time()
            with pytest.raises(TimeoutError):
                await operation
            assert asyncio.get_running_loop().time() - started < 2
        async with store.transaction() as tx:
            await tx.set("a", "1", 60)
            await tx.set("b", "2", 60)
            with pytest.raises(TimeoutError):
                await tx.flush()
        assert accepted  # it did connect: the stall is after the connection
    finally:
        await store.close()
        server.close()


async def test_sqlite_writes_wait_for_another_writers_lock(services):
    """SQLiteStore runs on the event loop with busy_timeout 0; while another connection holds the
    write lock, its writes go to aiosqlite and wait there, and land once the lock is free."""
    import sqlite3

    from govsignin.store.database import SQLiteStore

    store = services.store
    if not isinstance(store, SQLiteStore):
        pytest.skip("SQLite store only")
    other = sqlite3.connect(services.engine.url.database, isolation_level=None)
    k1, k2, k3 = key(), key(), key()
    await store.set(k3, "before", 60)
    other.execute("BEGIN IMMEDIATE")  # the write lock, held by someone else
    try:
        writes = asyncio.ensure_future(asyncio.gather(store.set(k1, "v1", 60), _batch(store, k2), store.pop(k3)))
        await asyncio.sleep(0.3)
        assert not writes.done()  # waiting for the lock, not failing
        assert await store.get(k1) is None  # reads do not wait
    finally:
        other.execute("COMMIT")
        other.close()
    _, _, popped = await asyncio.wait_for(writes, 10)
    assert popped == "before"
    assert await store.get(k1) == "v1" and await store.get(k2) == "v2" and await store.get(k3) is None


async def _batch(store, k):
    async with store.transaction() as tx:
        await tx.set(k, "v2", 60)
        await tx.delete(k + "-none")
