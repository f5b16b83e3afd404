"""RP-initiated logout and back-channel logout tokens, delivered durably and retried."""

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select

from govsignin.oidc.backchannel import deliver_due
from govsignin.oidc.models import BackchannelDelivery
from tests.support.ports import free_port
from tests.support.rp import TestRP, code_for, make_citizen


class Receiver:
    """A relying party's back-channel logout endpoint: records tokens, or fails on request."""

    def __init__(self, fail_first: int = 0):
        self.tokens, self.fail_first = [], fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                else:
                    receiver.tokens.append(parse_qs(body)["logout_token"][0])
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def uri(self):
        return f"http://localhost:{self.port}/backchannel-logout"

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


async def signed_in(client, services, receiver_uri=None):
    rp = await TestRP.create(services, backchannel_logout_uri=receiver_uri)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    tokens = (await rp.token(client, code)).json()
    return rp, citizen, tokens


async def drain(services, rounds=20):
    for _ in range(rounds):
        await deliver_due(services)
        await asyncio.sleep(0.05)


async def test_logout_redirects_with_state_and_ends_the_session(client, services):
    rp, _, tokens = await signed_in(client, services)
    target = rp.redirect_uri.replace("/callback", "/signed-out")
    query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": target, "state": "bye"}
    response = await client.get("/logout?" + urlencode(query))
    assert response.status_code == 302 and response.headers["location"] == f"{target}?state=bye"
    again = await client.get("/authorize?" + urlencode(rp.authorize_params(prompt="none")))
    assert "error=login_required" in again.headers["location"]


async def test_an_unregistered_post_logout_uri_goes_to_the_signed_out_page_with_an_error(client, services):
    _, _, tokens = await signed_in(client, services)
    query = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/x"}
    response = await client.get("/logout?" + urlencode(query))
    assert urlsplit(response.headers["location"]).path == "/signed-out"
    assert "error_code=invalid_request" in response.headers["location"]


async def test_a_post_logout_uri_needs_the_hint(client, services):
    """Without a hint One Login ignores the URI and goes to its own page, with the state."""
    rp, _, _ = await signed_in(client, services)
    client.cookies.clear()  # nobody signed in: no confirmation page
    query = {"post_logout_redirect_uri": rp.redirect_uri.replace("/callback", "/signed-out"), "state": "s1"}
    response = await client.get("/logout?" + urlencode(query))
    assert response.headers["location"] == "/signed-out?state=s1"


async def test_logout_without_parameters_shows_the_signed_out_page(client):
    response = await client.get("/logout")
    assert response.headers["location"] == "/signed-out"
    assert "You have signed out" in (await client.get("/signed-out")).text


async def test_every_service_in_the_session_gets_a_logout_token(client, services, receiver):
    rp, _, tokens = await signed_in(client, services, receiver.uri)
    second = await TestRP.create(services, backchannel_logout_uri=receiver.uri)
    code = (await client.get("/authorize?" + urlencode(second.authorize_params()))).headers["location"]
    assert "code=" in code
    id_claims = jwt.decode(tokens["id_token"], KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())).claims

    await client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    await drain(services)

    jwks = KeySet.import_key_set((await client.get("/.well-known/jwks.json")).json())
    decoded = [jwt.decode(t, jwks) for t in receiver.tokens]
    assert sorted(d.claims["aud"] for d in decoded) == sorted([rp.client_id, second.client_id])
    mine = next(d for d in decoded if d.claims["aud"] == rp.client_id)
    assert mine.header["typ"] == "logout+jwt" and mine.header["kid"]
    assert mine.claims["sub"] == id_claims["sub"]
    assert mine.claims["iss"] == services.settings.issuer_url()
    assert mine.claims["exp"] - mine.claims["iat"] == 120
    assert mine.claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
    assert "nonce" not in mine.claims and mine.claims["jti"]


async def test_failed_deliveries_are_retried_from_the_database(client, services):
    receiver = Receiver(fail_first=1)
    try:
        rp, _, tokens = await signed_in(client, services, receiver.uri)
        await client.get("/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
        await deliver_due(services)
        async with services.sessionmaker() as db:
            row = (await db.execute(select(BackchannelDelivery).where(BackchannelDelivery.client_id == rp.client_id))).scalar_one()
        assert row.attempts == 1 and row.delivered_at is None and row.last_error == "answered HTTP 503"
        # A restart loses nothing: the retry is a row. Make it due now rather than wait 2 s.
        from sqlalchemy import update

        from govsignin.db.base import utcnow

        async with services.sessionmaker() as db, db.begin():
            await db.execute(update(BackchannelDelivery).where(BackchannelDelivery.id == row.id).values(next_attempt_at=utcnow()))
        await drain(services)
        assert len(receiver.tokens) == 1
    finally:
        receiver.close()
