"""Fixtures for the fault tests: a fresh PostgreSQL database per test, and a Redis database number
of our own (only our keys are ever deleted). Both skip, saying why, when the server is absent."""

from __future__ import annotations

import pytest

from tests.faults.support import port_open
from tests.support.databases import (
    PG_HOST, PG_PORT, PostgresUnavailable, create_postgres_database, drop_postgres_database,
)

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
# Keys the provider writes: the store's prefix (the rate limiter's counters are in the store too).
OUR_PREFIXES = ("gs:",)


@pytest.fixture(scope="module")
def pg_url():
    if not port_open(PG_HOST, PG_PORT):
        pytest.skip(f"fault tests need PostgreSQL on {PG_HOST}:{PG_PORT}; none answers")
    try:
        name, url = create_postgres_database()
    except PostgresUnavailable as exc:
        pytest.skip(f"fault tests need PostgreSQL: {exc}")
    yield url
    drop_postgres_database(name)


@pytest.fixture(scope="module")
def redis_url():
    """A Redis database number nobody else is using (empty when we take it); on the way out
    we delete only the keys our servers wrote there."""
    if not port_open(REDIS_HOST, REDIS_PORT):
        pytest.skip(f"fault tests need Redis on {REDIS_HOST}:{REDIS_PORT}; none answers")
    import redis

    chosen = None
    for db in range(14, 0, -1):  # 15 belongs to the store's unit tests
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=db)
        try:
            # Claim the number with a marker key, so two runs never pick the same one.
            if client.dbsize() == 0 and client.set("govsignin-faults:claim", "1", nx=True, ex=600):
                chosen = (db, client)
                break
        except redis.RedisError as exc:
            pytest.skip(f"fault tests need Redis: {exc}")
        client.close()
    if chosen is None:
        pytest.skip("no empty Redis database number to use for the fault tests")
    db, client = chosen
    yield f"redis://{REDIS_HOST}:{REDIS_PORT}/{db}"
    for prefix in OUR_PREFIXES:
        keys = list(client.scan_iter(match=prefix + "*", count=500))
        for i in range(0, len(keys), 500):
            client.delete(*keys[i:i + 500])
    client.delete("govsignin-faults:claim")
    client.close()
