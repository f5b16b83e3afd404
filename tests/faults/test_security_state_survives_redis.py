"""With GOVSIGNIN_REDIS_URL set, Redis may evict keys or lose them in a restart. Security state
must not go with them: a lockout, the 48-hour block on changing second factors after a password
reset, and "sign out of all devices" are kept in the database (the `security_state` table);
Redis only caches the session generation.

Each test runs an in-process app on the suite's database and a Redis database number of its own
(tests/faults/conftest.py), and deletes the provider's Redis keys, as an eviction or a restart
without persistence would.
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

import httpx
import pytest

from govsignin.accounts.mfa import block_mfa_change, mfa_change_blocked_until
from tests.support.rp import TestRP, authorize_and_sign_in, code_for, make_citizen, post_page


@pytest.fixture
async def on_redis(settings, redis_url):
    from govsignin.app import create_app
    from govsignin.services import build_services

    redis_settings = settings.model_copy(update={"redis_url": redis_url})
    services = build_services(redis_settings)
    try:
        yield redis_settings, services, create_app(redis_settings, services)
    finally:
        await services.close()


def _lose_redis_keys(redis_url: str, pattern: str = "gs:*") -> int:
    """What an eviction (or a restart without persistence) does to the provider's keys."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=pattern, count=500))
        if keys:
            client.delete(*keys)
        return len(keys)
    finally:
        client.close()


@contextlib.asynccontextmanager
async def _browser(app, settings):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=settings.issuer_url()) as browser:
        yield browser


async def test_a_password_lockout_survives_losing_redis(on_redis, redis_url):
    settings, services, app = on_redis
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    async with _browser(app, settings) as browser:
        await browser.get("/authorize?" + urlencode(rp.authorize_params()))
        await post_page(browser, "/sign-in-or-create")
        await post_page(browser, "/enter-email", email=citizen.email)
        for attempt in range(6):
            response = await post_page(browser, "/enter-password", password=f"wrong-{attempt}-password")
        assert response.headers["location"] == "/account-locked"

    assert _lose_redis_keys(redis_url) > 0
    async with _browser(app, settings) as browser:
        await browser.get("/authorize?" + urlencode(rp.authorize_params()))
        await post_page(browser, "/sign-in-or-create")
        response = await post_page(browser, "/enter-email", email=citizen.email)
        assert response.headers["location"] == "/account-locked"


async def test_sign_out_everywhere_survives_losing_the_cached_generation(on_redis, redis_url):
    settings, services, app = on_redis
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    async with _browser(app, settings) as browser:
        await authorize_and_sign_in(browser, rp, citizen)
        cookie = browser.cookies.get(services.sessions.cookie_name)
        assert (await services.sessions.load(cookie)) is not None
        await services.sessions.end_all_for_user(citizen.user_id)
        assert _lose_redis_keys(redis_url, f"gs:user-gen:{citizen.user_id}") == 1
        assert await services.sessions.load(cookie) is None
        # And no single sign-on from that browser: the service's next request asks to sign in.
        response = await browser.get("/authorize?" + urlencode(rp.authorize_params()))
        assert response.headers["location"] == "/sign-in-or-create"


async def test_an_access_token_stays_ended_after_losing_the_cached_generation(on_redis, redis_url):
    settings, services, app = on_redis
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    async with _browser(app, settings) as browser:
        code, _params = await code_for(browser, rp, citizen)
        token = (await rp.token(browser, code)).json()["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await browser.get("/userinfo", headers=bearer)).status_code == 200
        await services.sessions.end_all_for_user(citizen.user_id)
        assert _lose_redis_keys(redis_url, f"gs:user-gen:{citizen.user_id}") == 1
        assert (await browser.get("/userinfo", headers=bearer)).status_code == 401


async def test_a_new_sign_in_after_sign_out_everywhere_works_when_the_cache_is_cold(on_redis, redis_url):
    settings, services, app = on_redis
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    await services.sessions.end_all_for_user(citizen.user_id)
    _lose_redis_keys(redis_url, f"gs:user-gen:{citizen.user_id}")
    async with _browser(app, settings) as browser:
        await authorize_and_sign_in(browser, rp, citizen)
        cookie = browser.cookies.get(services.sessions.cookie_name)
        assert (await services.sessions.load(cookie)) is not None


async def test_the_48_hour_block_survives_losing_redis(on_redis, redis_url):
    settings, services, app = on_redis
    citizen = await make_citizen(services)
    await block_mfa_change(services, citizen.user_id)
    _lose_redis_keys(redis_url)
    assert await mfa_change_blocked_until(services, citizen.user_id) is not None
