"""/token with client_secret_post: One Login's cases (simulator:
src/components/token/tests/client-authentication/validate-client-secret-post.test.ts,
tests/integration/token-controller.test.ts). "No client secret registered" cannot be reached:
a service registered for client_secret_post always has a secret."""

import pytest

from govsignin.onboarding.registration import Registration, register
from tests.protocol.onelogin_parity.support import token_error
from tests.support.rp import TestRP, code_for, make_citizen

WRONG_METHOD = {"error": "invalid_request", "error_description": "Invalid token authentication method used"}


@pytest.fixture
async def secret_rp(services):
    uri = "https://secret-parity.example.gov.uk/callback"
    reg = await register(services, Registration(name="Secret RP", redirect_uris=[uri], secret=True))
    rp = TestRP(services, redirect_uri=uri, client_id=reg["client_id"])
    return rp, reg["client_secret"]


async def post(client, rp, **form):
    body = {"grant_type": "authorization_code", "code": "some-code", "redirect_uri": rp.redirect_uri,
            "client_id": rp.client_id}
    body.update(form)
    return await client.post("/token", data={k: v for k, v in body.items() if v is not None})


async def test_no_client_secret_is_the_wrong_authentication_method(client, secret_rp):
    rp, _ = secret_rp
    assert token_error(await post(client, rp)) == WRONG_METHOD


async def test_no_client_id_is_the_wrong_authentication_method(client, secret_rp):
    rp, secret = secret_rp
    assert token_error(await post(client, rp, client_id=None, client_secret=secret)) == WRONG_METHOD


async def test_an_unknown_client_id_is_invalid_client(client, secret_rp):
    rp, secret = secret_rp
    body = token_error(await post(client, rp, client_id="no-such-client", client_secret=secret))
    assert body == {"error": "invalid_client", "error_description": "Client authentication failed"}


async def test_a_client_registered_for_private_key_jwt_is_invalid_client(client, services):
    rp = await TestRP.create(services)
    body = token_error(await post(client, rp, client_secret="a-secret"))
    assert body == {"error": "invalid_client", "error_description": "Client is not registered to use client_secret_post"}


async def test_a_wrong_secret_is_invalid_client(client, secret_rp):
    rp, _ = secret_rp
    body = token_error(await post(client, rp, client_secret="wrong"))
    assert body == {"error": "invalid_client", "error_description": "Invalid client secret"}


async def test_the_right_secret_gets_tokens(client, services, secret_rp):
    rp, secret = secret_rp
    code, _ = await code_for(client, rp, await make_citizen(services))
    assert (await post(client, rp, code=code, client_secret=secret)).status_code == 200
