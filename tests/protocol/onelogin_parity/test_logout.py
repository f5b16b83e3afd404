"""/logout: One Login's cases (simulator: tests/integration/logout.test.ts). One Login's default
page is govsignin's /signed-out. Every case here is sent by a browser with no session, so it is
answered at once (a signed-in browser whose session the hint does not name is asked to confirm:
tests/protocol/test_logout_confirmation.py)."""

import time
from urllib.parse import urlencode

import pytest

from govsignin.oidc.signing import sign
from tests.support.rp import TestRP, code_for, make_citizen


@pytest.fixture
async def rp(services):
    return await TestRP.create(services)


@pytest.fixture
async def id_token(client, services, rp):
    code, _ = await code_for(client, rp, await make_citizen(services))
    token = (await rp.token(client, code)).json()["id_token"]
    client.cookies.clear()  # the browser that logs out has no session: no confirmation page
    return token


async def hint_signed_by_us(services, alg="ES256", **claims) -> str:
    now = int(time.time())
    body = {"iss": services.settings.issuer_url(), "sub": "urn:fdc:gov.uk:2022:someone", "aud": "no-such-client",
            "iat": now, "exp": now + 120, "sid": "s"}
    body.update(claims)
    return await sign(services.keys, alg, {k: v for k, v in body.items() if v is not None})


async def logout(client, **query) -> str:
    response = await client.get("/logout?" + urlencode(query) if query else "/logout")
    assert response.status_code == 302
    return response.headers["location"]


def post_logout_uri(rp) -> str:
    return rp.redirect_uri.replace("/callback", "/signed-out")


async def test_an_empty_logout_request_goes_to_the_default_page(client):
    assert await logout(client) == "/signed-out"


async def test_a_logout_request_with_only_state_goes_to_the_default_page_with_state(client):
    assert await logout(client, state="abc") == "/signed-out?state=abc"


async def test_a_hint_with_an_invalid_signature_goes_to_the_default_page_with_an_error(client, id_token):
    forged = id_token[:-4] + ("AAAA" if not id_token.endswith("AAAA") else "BBBB")
    location = await logout(client, id_token_hint=forged, state="abc")
    assert location == "/signed-out?" + urlencode(
        {"error_code": "invalid_request", "error_description": "unable to validate id_token_hint", "state": "abc"})


async def test_a_hint_for_an_unknown_client_goes_to_the_default_page_with_an_error(client, services):
    location = await logout(client, id_token_hint=await hint_signed_by_us(services), state="abc")
    assert location == "/signed-out?" + urlencode(
        {"error_code": "unauthorized_client", "error_description": "client not found", "state": "abc"})


async def test_a_valid_hint_without_aud_goes_to_the_default_page_without_errors(client, services, rp):
    hint = await hint_signed_by_us(services, aud=None)
    assert await logout(client, id_token_hint=hint, post_logout_redirect_uri=post_logout_uri(rp), state="abc") == "/signed-out?state=abc"


async def test_a_valid_hint_without_sub_goes_to_the_default_page_without_errors(client, services, rp):
    hint = await hint_signed_by_us(services, aud=rp.client_id, sub=None)
    assert await logout(client, id_token_hint=hint, post_logout_redirect_uri=post_logout_uri(rp), state="abc") == "/signed-out?state=abc"


async def test_a_valid_hint_without_post_logout_redirect_uri_goes_to_the_default_page(client, id_token):
    assert await logout(client, id_token_hint=id_token, state="abc") == "/signed-out?state=abc"


async def test_a_valid_hint_with_an_unregistered_post_logout_redirect_uri_goes_to_the_default_page_with_an_error(client, id_token):
    location = await logout(client, id_token_hint=id_token, post_logout_redirect_uri="https://evil.example/x", state="abc")
    assert location == "/signed-out?" + urlencode({
        "error_code": "invalid_request",
        "error_description": "client registry does not contain post_logout_redirect_uri", "state": "abc"})


async def test_a_valid_logout_request_goes_to_the_post_logout_redirect_uri_with_state(client, id_token, rp):
    uri = post_logout_uri(rp)
    assert await logout(client, id_token_hint=id_token, post_logout_redirect_uri=uri, state="abc") == f"{uri}?state=abc"


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_an_expired_valid_hint_is_accepted(client, services, rp, alg):
    hint = await hint_signed_by_us(services, alg=alg, aud=rp.client_id, iat=10000, exp=12345)
    uri = post_logout_uri(rp)
    assert await logout(client, id_token_hint=hint, post_logout_redirect_uri=uri, state="abc") == f"{uri}?state=abc"
