"""/readyz fails while Redis may evict keys (maxmemory-policy other than noeviction), and says
so when it cannot read the policy (web/health.py)."""

from __future__ import annotations

import pytest

from tests.ops.test_rate_limits import REDIS_URL, instances, browser


@pytest.fixture
async def redis_app(settings):
    async with instances(settings, count=1, redis_url=REDIS_URL) as (settings, (services,), (app,)):
        yield settings, services, app


def policy_reply(services, reply):
    """The Redis store's CONFIG GET answers `reply` (the shared Redis's own setting is never
    changed: other suites use it)."""
    call = services.store.redis.call

    async def fake(*args):
        if args[:2] == ("CONFIG", "GET"):
            if isinstance(reply, Exception):
                raise reply
            return ["maxmemory-policy", reply]
        return await call(*args)

    services.store.redis.call = fake


async def test_ready_when_redis_does_not_evict(redis_app):
    settings, services, app = redis_app
    async with browser(app, settings, "192.0.2.1") as http:
        response = await http.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["store_eviction"] == "ok"


@pytest.mark.parametrize("policy", ["allkeys-lru", "volatile-lru", "allkeys-random", "volatile-ttl"])
async def test_not_ready_when_redis_may_evict(redis_app, policy):
    settings, services, app = redis_app
    policy_reply(services, policy)
    async with browser(app, settings, "192.0.2.1") as http:
        response = await http.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"]
    check = response.json()["checks"]["store_eviction"]
    assert policy in check and "noeviction" in check


async def test_config_disabled_is_said_in_the_body(redis_app):
    from govsignin.store.resp import RedisReplyError

    settings, services, app = redis_app
    policy_reply(services, RedisReplyError("ERR unknown command 'CONFIG', with args beginning with: 'GET'"))
    async with browser(app, settings, "192.0.2.1") as http:
        response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["store_eviction"].startswith("unverified: CONFIG GET maxmemory-policy is not allowed")
