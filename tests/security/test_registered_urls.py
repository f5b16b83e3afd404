"""Registered URLs (JWKS, back-channel logout) never lead to private, loopback or link-local
addresses in production: refused at registration and again at each fetch, which connects to
the address it checked (onboarding/outbound.py). Development and test allow localhost.

No test here sends anything to a private address: names resolve through a stand-in resolver,
and a refused address is refused before any connection is made.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from govsignin.onboarding import outbound
from govsignin.onboarding.outbound import OutboundRefused, address_allowed, fetch
from govsignin.onboarding.registration import Registration, RegistrationError, register

PUBLIC = "93.184.215.14"
NAMES = {
    "metadata.example": ["169.254.169.254"],
    "intranet.example": ["10.1.2.3"],
    "office.example": ["192.168.0.10"],
    "cgnat.example": ["100.64.1.1"],
    "v6-private.example": ["fd12:3456::1"],
    "v6-link.example": ["fe80::1"],
    "v6-mapped.example": ["::ffff:127.0.0.1"],
    "loopback.example": ["127.0.0.1"],
    "mixed.example": [PUBLIC, "10.0.0.7"],
    "public.example": [PUBLIC],
}


@pytest.fixture
def resolver(monkeypatch):
    """Names resolve from NAMES (and `pinned`), counting lookups; nothing else resolves."""
    lookups = []
    extra = {}

    async def getaddrinfo(host, port):
        lookups.append(host)
        if host in extra:
            return extra[host]
        if host in NAMES:
            return NAMES[host]
        raise OSError("no such name")

    monkeypatch.setattr(outbound, "_getaddrinfo", getaddrinfo)
    return SimpleNamespace(lookups=lookups, names=extra)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
                                     "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fd00::1", "fe80::1%eth0",
                                     "::ffff:10.0.0.1", "::"])
def test_private_loopback_and_link_local_addresses_are_not_allowed(address):
    assert not address_allowed(address)


@pytest.mark.parametrize("address", [PUBLIC, "2606:4700:4700::1111", "::ffff:93.184.215.14"])
def test_public_addresses_are_allowed(address):
    assert address_allowed(address)


def production_services(services):
    settings = services.settings.model_copy(update={"env": "production"})
    return SimpleNamespace(settings=settings, sessionmaker=services.sessionmaker, audit=services.audit)


@pytest.mark.parametrize("host", [h for h in NAMES if h != "public.example"] + ["localhost", "unresolvable.example"])
@pytest.mark.parametrize("field", ["jwks_uri", "backchannel_logout_uri"])
async def test_production_refuses_to_register_urls_that_resolve_privately(services, resolver, host, field):
    fields = {"jwks_uri": None, "secret": True} if field == "backchannel_logout_uri" else {"secret": False}
    reg = Registration(name="Private", redirect_uris=["https://service.example.gov.uk/callback"],
                       **fields, **{field: f"https://{host}/path"})
    if host == "localhost":
        resolver.names["localhost"] = ["127.0.0.1", "::1"]
    with pytest.raises(RegistrationError) as refused:
        await register(production_services(services), reg)
    assert ("private, loopback or link-local" in str(refused.value)
            or "does not resolve" in str(refused.value)), str(refused.value)


async def test_production_registers_a_public_url(services, resolver):
    reg = Registration(name="Public", redirect_uris=["https://service.example.gov.uk/callback"],
                       jwks_uri="https://public.example/jwks.json",
                       backchannel_logout_uri="https://public.example/logout")
    result = await register(production_services(services), reg)
    assert result["jwks_uri"] == "https://public.example/jwks.json"
    assert resolver.lookups == ["public.example", "public.example"]


async def test_development_keeps_allowing_localhost(services):
    reg = Registration(name="Local", redirect_uris=["http://localhost:9/callback"],
                       jwks_uri="http://localhost:9/jwks.json", backchannel_logout_uri="http://127.0.0.1:9/logout")
    assert (await register(services, reg))["jwks_uri"] == "http://localhost:9/jwks.json"


class Endpoint:
    """A service's endpoint on localhost, recording the Host header of what reaches it."""

    def __init__(self):
        self.hosts = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                endpoint.hosts.append(self.headers["Host"])
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_POST = do_GET

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint():
    e = Endpoint()
    yield e
    e.close()


async def test_each_fetch_in_production_checks_again_and_sends_nothing_to_a_private_address(resolver, endpoint):
    # Registered while the name pointed elsewhere; now it points at this machine.
    resolver.names["rebound.example"] = ["127.0.0.1"]
    resolver.names["localhost"] = ["127.0.0.1", "::1"]
    for method in ("GET", "POST"):
        with pytest.raises(OutboundRefused):
            await fetch(method, f"http://rebound.example:{endpoint.port}/x", production=True, deadline=2, max_bytes=100)
    with pytest.raises(OutboundRefused):
        await fetch("GET", f"http://localhost:{endpoint.port}/x", production=True, deadline=2, max_bytes=100)
    assert endpoint.hosts == []


async def test_the_connection_goes_to_the_checked_address_with_the_names_host_header(resolver, endpoint):
    # The name exists only in the stand-in resolver: the request can reach the endpoint only by
    # connecting to the address the check saw, and it still names the host.
    resolver.names["service.example"] = ["127.0.0.1"]
    answer = await fetch("GET", f"http://service.example:{endpoint.port}/jwks.json", production=False,
                         deadline=2, max_bytes=100)
    assert answer.status == 200 and answer.body == b"{}"
    assert endpoint.hosts == [f"service.example:{endpoint.port}"]
    assert resolver.lookups == ["service.example"]  # one lookup: the one that was checked


async def test_a_logout_to_a_url_that_now_resolves_privately_is_refused_at_delivery(services, resolver, endpoint):
    from sqlalchemy import select

    from govsignin.oidc.backchannel import _attempt
    from govsignin.oidc.models import BackchannelDelivery
    from tests.support.rp import TestRP

    resolver.names["rebound-logout.example"] = ["127.0.0.1"]
    uri = f"http://rebound-logout.example:{endpoint.port}/logout"
    rp = await TestRP.create(services, backchannel_logout_uri=f"http://localhost:{endpoint.port}/logout")
    row = BackchannelDelivery(client_id=rp.client_id, uri=uri, subject="sub")
    async with services.sessionmaker() as db, db.begin():
        db.add(row)
    production = SimpleNamespace(**{**services.__dict__, "settings": services.settings.model_copy(update={"env": "production"})})
    assert await _attempt(production, row.id) == 0
    async with services.sessionmaker() as db:
        saved = (await db.execute(select(BackchannelDelivery).where(BackchannelDelivery.id == row.id))).scalar_one()
    assert saved.delivered_at is None and saved.last_error.startswith("refused: rebound-logout.example resolves to 127.0.0.1")
    assert endpoint.hosts == []
