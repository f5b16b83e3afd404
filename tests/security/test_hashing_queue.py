"""The argon2 queue is bounded: a flood of password posts gets quick 503s, not a queue that
grows without end (accounts/passwords.py)."""

from __future__ import annotations

import asyncio


from govsignin.accounts.passwords import HashingBusy, Passwords
from govsignin.config import Settings
from tests.ops.test_rate_limits import browser, instances
from tests.support.rp import TestRP, csrf_of, new_email, post_page


async def test_hashes_past_the_bound_are_refused_at_once():
    passwords = Passwords(Settings(argon2_threads=1, argon2_queue_per_thread=2))
    try:
        assert passwords.capacity == 3
        encoded = await passwords.hash("a password of some length")
        outcomes = await asyncio.gather(*(passwords.verify(encoded, "wrong") for _ in range(20)),
                                        return_exceptions=True)
        busy = [o for o in outcomes if isinstance(o, HashingBusy)]
        assert len(busy) == 17 and outcomes.count(False) == 3
        assert passwords.in_flight == 0
        assert await passwords.verify(encoded, "a password of some length")  # and then it serves again
    finally:
        passwords.pool.shutdown(wait=True)


async def test_a_flood_of_password_posts_gets_quick_503s(settings):
    # Hashes ten times the usual passes (~0.2-0.6 s each), so that every post reaches the queue
    # while the first is still hashing, however loaded the machine.
    async with instances(settings, count=1, argon2_threads=1, argon2_queue_per_thread=1, argon2_time_cost=20,
                         ratelimit_password_per_account="", ratelimit_sign_in_per_ip="1000/minute") as (
            settings, (services,), (app,)):
        rp = await TestRP.create(services)
        browsers = [browser(app, settings, f"192.0.2.{i + 1}") for i in range(10)]
        pages = []
        try:
            for http in browsers:
                await http.get("/authorize", params=rp.authorize_params())
                await post_page(http, "/sign-in-or-create")
                response = await post_page(http, "/enter-email", email=new_email())
                assert response.headers["location"] == "/enter-password"
                page = await http.get("/enter-password")
                pages.append(page)
            responses = await asyncio.gather(*(
                http.post("/enter-password", data={"csrf_token": csrf_of(page.text), "password": "wrong-password-1"})
                for http, page in zip(browsers, pages)))
        finally:
            for http in browsers:
                await http.aclose()
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(400) <= 2 and statuses.count(503) >= 8, statuses
        refused = next(r for r in responses if r.status_code == 503)
        assert refused.headers["retry-after"] == "1" and refused.headers["cache-control"] == "no-store"
        assert "Sorry, the service is unavailable" in refused.text
        assert services.accounts.passwords.in_flight == 0
