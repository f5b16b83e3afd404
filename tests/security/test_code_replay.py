"""A code redeemed twice revokes what its first redemption issued, decided atomically on every
store: SQLite, PostgreSQL and Redis (store.redeem, oidc/token/authorization_code.py)."""

from __future__ import annotations

import asyncio

import pytest

from tests.ops.test_rate_limits import REDIS_URL, browser, instances
from tests.support.rp import TestRP, code_for, make_citizen

RACERS = 12
COMMIT_LATENCY = 0.03  # seconds before every write reaches the store


def with_commit_latency(store) -> None:
    """Every write waits first, as a commit that waits for the disk or a replica does; reads
    answer at once. Any gap between reading a code and writing what its redemption decided is
    then wide open to a second request."""
    for name in ("set", "set_many", "replace", "delete", "write_batch", "redeem"):
        call = getattr(store, name, None)
        if call is None:
            continue

        async def slowed(*args, _call=call, **kwargs):
            await asyncio.sleep(COMMIT_LATENCY)
            return await _call(*args, **kwargs)

        setattr(store, name, slowed)


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_concurrent_redemptions_one_succeeds_and_its_access_token_is_revoked(settings, store):
    """Two instances (own connections, as two workers or machines have) share the store; the
    token requests with one code alternate between them."""
    extra = {"redis_url": REDIS_URL} if store == "redis" else {}
    async with instances(settings, count=2, ratelimit_enabled=False, **extra) as (settings, built, apps):
        services = built[0]
        rp = await TestRP.create(services)
        for each in built:
            with_commit_latency(each.store)
        for round_ in range(3):  # each round a new code, raced by many token requests at once
            citizen = await make_citizen(services)  # (an authenticator code is accepted once)
            async with browser(apps[0], settings, "192.0.2.10") as on_a, browser(apps[1], settings, "192.0.2.10") as on_b:
                code, _ = await code_for(on_a, rp, citizen)
                forms = [rp.token_form(code) for _ in range(RACERS)]  # each its own assertion (jti)
                responses = await asyncio.gather(*((on_a, on_b)[i % 2].post("/token", data=form)
                                                   for i, form in enumerate(forms)))
                statuses = [r.status_code for r in responses]
                assert statuses.count(200) == 1, (round_, statuses)
                refused = [r for r in responses if r.status_code != 200]
                assert all(r.status_code == 400 and r.json()["error"] == "invalid_grant" for r in refused), \
                    [r.text for r in refused]
                winner = next(r for r in responses if r.status_code == 200).json()
                for http in (on_a, on_b):
                    userinfo = await http.get("/userinfo", headers={"Authorization": f"Bearer {winner['access_token']}"})
                    assert userinfo.status_code == 401, (round_, userinfo.text)


@pytest.mark.parametrize("store", ["database", "redis"])
async def test_store_redeem_contract(services, store):
    """redeem: the first call issues, a later one revokes what the first issued."""
    import uuid

    from govsignin.store.base import REDEEMED, REPLAYED, UNKNOWN

    if store == "redis":
        from govsignin.store.redis import RedisStore

        target = RedisStore(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:6]}:")
        try:
            await target.ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
            pytest.skip(f"Redis tests skipped: {type(exc).__name__}")
    else:
        target = services.store
    code, receipt, issued = (f"{name}-{uuid.uuid4().hex}" for name in ("code", "receipt", "issued"))
    try:
        assert await target.redeem(code, receipt, issued, 60, (issued, "token", 60)) == UNKNOWN
        await target.set(code, "record", 60)
        outcomes = await asyncio.gather(*(target.redeem(code, receipt, issued, 60, (issued, "token", 60))
                                          for _ in range(6)))
        assert outcomes.count(REDEEMED) == 1 and outcomes.count(REPLAYED) == 5
        assert await target.get(issued) is None and await target.get(code) is None
        assert await target.get(receipt) == issued
    finally:
        if store == "redis":
            await target.close()
