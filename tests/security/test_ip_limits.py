"""Per-IP rate limits: /authorize is limited per IP, and an IPv6 client is one client per /64
(ratelimit/)."""

from __future__ import annotations

import uuid

import pytest

from govsignin.ratelimit import ip_key
from tests.ops.test_rate_limits import browser, instances
from tests.support.rp import TestRP


def _v6_prefix() -> str:
    n = uuid.uuid4().int
    return f"2001:db8:{n % 0xffff:x}:{(n >> 16) % 0xffff:x}"


def test_ip_keys_group_ipv6_by_64_and_keep_ipv4():
    assert ip_key("2001:db8:1:2::1") == ip_key("2001:db8:1:2:ffff:ffff:ffff:ffff") == "2001:db8:1:2::/64"
    assert ip_key("2001:db8:1:3::1") != ip_key("2001:db8:1:2::1")
    assert ip_key("::ffff:192.0.2.7") == ip_key("192.0.2.7") == "192.0.2.7"
    assert ip_key("192.0.2.7") != ip_key("192.0.2.8")
    assert ip_key("fe80::1%eth0") == "fe80::/64"
    assert ip_key("unknown") == "unknown"


async def test_authorize_is_limited_per_ip_with_the_429_page(settings):
    async with instances(settings, count=1, ratelimit_authorize_per_ip="3/minute") as (settings, (services,), (app,)):
        rp = await TestRP.create(services)
        ip = f"192.0.2.{uuid.uuid4().int % 250 + 1}"
        async with browser(app, settings, ip) as http:
            for _ in range(3):  # anonymous: each stores a journey and goes to the first page
                response = await http.get("/authorize", params=rp.authorize_params())
                assert response.status_code == 302, response.text
            refused = await http.get("/authorize", params=rp.authorize_params())
            assert refused.status_code == 429
            assert "You have tried too many times" in refused.text
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            assert (await http.post("/authorize", data=rp.authorize_params())).status_code == 429
        async with browser(app, settings, "198.51.100.9") as elsewhere:
            assert (await elsewhere.get("/authorize", params=rp.authorize_params())).status_code == 302


@pytest.mark.parametrize("path", ["/authorize", "/enter-email"])
async def test_an_ipv6_client_is_limited_by_its_64(settings, path):
    async with instances(settings, count=1, ratelimit_authorize_per_ip="3/minute",
                         ratelimit_sign_in_per_ip="3/minute") as (settings, (services,), (app,)):
        rp = await TestRP.create(services)
        prefix = _v6_prefix()

        async def request(address: str):
            async with browser(app, settings, address) as http:
                if path == "/authorize":
                    return await http.get(path, params=rp.authorize_params())
                return await http.post(path, data={"email": "x@example.com"})

        # A new address of the same /64 for every request: still one client.
        for host in ("1", "2", "abcd:1", "ffff:ffff:fffe"):
            response = await request(f"{prefix}::{host}")
        assert response.status_code == 429
        other = await request(f"{prefix[:-1]}{'0' if prefix[-1] != '0' else '1'}::1")  # the next /64
        assert other.status_code != 429
