"""Rate limits: they trigger, answer 429 with Retry-After, and are shared by every instance
using the same store (database or Redis): nothing is counted in process memory."""

from __future__ import annotations

import contextlib
import uuid

import httpx
import pytest

from govsignin.ratelimit import RateLimits, enabled
from govsignin.ratelimit.storage import StoreStorage
from tests.support.rp import TestRP, code_for, make_citizen, post_page

REDIS_URL = "redis://127.0.0.1:6379/15"


def _ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


@contextlib.asynccontextmanager
async def instances(settings, count: int = 2, **overrides):
    """`count` independent apps (own Services, own pools), sharing only the store."""
    from govsignin.app import create_app
    from govsignin.services import build_services

    settings = settings.model_copy(update={"ratelimit_enabled": True, **overrides})
    if settings.redis_url:
        import redis.asyncio as redis

        probe = redis.Redis.from_url(settings.redis_url)
        try:
            await probe.ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
            pytest.skip(f"Redis tests skipped: no Redis on 127.0.0.1:6379 ({type(exc).__name__})")
        finally:
            await probe.aclose()
    built = [build_services(settings) for _ in range(count)]
    apps = [create_app(settings, s) for s in built]
    try:
        yield settings, built, apps
    finally:
        for services in built:
            await services.close()


def browser(app, settings, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url=settings.issuer_url())


def test_on_by_default_in_production_only(settings):
    assert enabled(settings.model_copy(update={"env": "production", "ratelimit_enabled": None}))
    assert not enabled(settings.model_copy(update={"env": "development", "ratelimit_enabled": None}))
    assert not enabled(settings.model_copy(update={"env": "test", "ratelimit_enabled": None}))
    assert enabled(settings.model_copy(update={"env": "test", "ratelimit_enabled": True}))


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_sign_in_posts_per_ip_are_limited_across_instances(settings, store):
    extra = {"redis_url": REDIS_URL} if store == "redis" else {}
    async with instances(settings, ratelimit_sign_in_per_ip="3/minute", **extra) as (settings, _, (a, b)):
        ip, other_ip = _ip(), _ip()
        async with browser(a, settings, ip) as on_a, browser(b, settings, ip) as on_b:
            # No session: each POST is counted first, then answered "start again".
            for http in (on_a, on_b, on_a):
                response = await http.post("/enter-email", data={"email": "x@example.com"})
                assert response.status_code != 429
            refused = await on_b.post("/enter-password", data={"password": "whatever"})
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert "You have tried too many times" in refused.text
            assert refused.headers["cache-control"] == "no-store"
            assert (await on_a.post("/sign-in-or-create")).status_code == 429
            assert (await on_a.get("/enter-email")).status_code != 429  # GETs are not counted
        async with browser(a, settings, other_ip) as elsewhere:
            assert (await elsewhere.post("/enter-email")).status_code != 429


async def test_password_attempts_per_account_complement_the_lockout(settings):
    async with instances(settings, ratelimit_password_per_account="3/minute") as (settings, (sa, sb), (a, b)):
        rp = await TestRP.create(sa)
        citizen = await make_citizen(sa)
        for attempt, app in enumerate((a, b, a, b)):
            # A new browser, even a new IP, each time: the limit follows the account.
            async with browser(app, settings, _ip()) as http:
                await http.get("/authorize", params=rp.authorize_params())
                await post_page(http, "/sign-in-or-create")
                await post_page(http, "/enter-email", email=citizen.email.upper())
                response = await post_page(http, "/enter-password", password="wrong-password-1")
                if attempt < 3:
                    assert response.status_code == 400, response.text
                else:
                    assert response.status_code == 429
                    assert "You have tried too many times" in response.text
        # The lockout still counted the three wrong passwords and was not replaced.
        subject = f"account:{citizen.user_id}"
        assert not await sa.lockouts.is_blocked("password", subject)
        assert await sa.security_state.get("fail:password:" + __import__("hashlib").sha256(
            subject.encode()).hexdigest()[:40]) == "3"


async def test_token_is_limited_per_client_and_ip_without_spending_the_code(settings):
    async with instances(settings, ratelimit_token_per_client_ip="1/minute") as (settings, (sa, _), (a, b)):
        rp = await TestRP.create(sa)
        citizen = await make_citizen(sa)
        ip = _ip()
        async with browser(a, settings, ip) as http:
            first, _ = await code_for(http, rp, citizen)
            second, _ = await code_for(http, rp, citizen)  # silent SSO
        async with browser(a, settings, ip) as on_a, browser(b, settings, ip) as on_b:
            assert (await rp.token(on_a, first)).status_code == 200
            refused = await rp.token(on_b, second)
            assert refused.status_code == 429
            assert refused.json()["error"] == "temporarily_unavailable"
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert refused.headers["cache-control"] == "no-store"
        async with browser(b, settings, _ip()) as elsewhere:  # another IP: its own window
            response = await rp.token(elsewhere, second)
            assert response.status_code == 200, response.text  # the refused code was not spent


async def test_store_storage_is_a_fixed_window(services):
    from limits import parse
    from limits.aio.strategies import FixedWindowRateLimiter

    limiter = FixedWindowRateLimiter(StoreStorage(services.store))
    item, who = parse("2/minute"), uuid.uuid4().hex
    assert await limiter.hit(item, "t", who)
    assert await limiter.hit(item, "t", who)
    assert not await limiter.hit(item, "t", who)
    stats = await limiter.get_window_stats(item, "t", who)
    assert stats.remaining == 0
    assert 0 < stats.reset_time - __import__("time").time() <= 60
    await limiter.clear(item, "t", who)
    assert await limiter.hit(item, "t", who)


async def test_disabled_limits_touch_no_storage(settings, services):
    limits = RateLimits(settings.model_copy(update={"ratelimit_enabled": False}), services.store)
    assert limits.storage is None
    assert await limits.hit("sign_in_ip", "x") is None
