"""/userinfo: One Login's cases (simulator: tests/integration/user-info.test.ts). Access tokens
here are opaque, not signed JWTs, so the cases about a token's signature, issuer, client_id or
scope claim all come down to "a token we did not issue" (invalid_token); a header of another
scheme is answered per RFC 6750 (docs/onelogin-compatibility.md). The identity claims cases
come with identity proving."""

import pytest

from tests.support.rp import TestRP, code_for, make_citizen

INVALID_TOKEN = 'Bearer error="invalid_token", error_description="Invalid access token"'


@pytest.fixture
async def token_and_citizen(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services, phone="+447700900123")
    code, _ = await code_for(client, rp, citizen)
    return (await rp.token(client, code)).json()["access_token"], citizen


async def test_no_authorization_header_is_401_bearer(client):
    response = await client.get("/userinfo")
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
    assert response.content == b""


async def test_a_token_we_did_not_issue_is_401_invalid_token(client):
    response = await client.get("/userinfo", headers={"Authorization": "Bearer invalid-access-token"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == INVALID_TOKEN
    assert response.content == b""


async def test_a_header_without_bearer_is_401_per_rfc_6750(client, token_and_citizen):
    token, _ = token_and_citizen
    response = await client.get("/userinfo", headers={"Authorization": token})
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


async def test_a_token_no_longer_in_the_store_is_401_invalid_token(client, services, token_and_citizen):
    from govsignin.crypto import token_hash

    token, _ = token_and_citizen
    await services.store.delete(f"at:{token_hash(token)}")
    response = await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.headers["www-authenticate"] == INVALID_TOKEN


async def test_a_valid_token_gets_the_user_info_its_scopes_release(client, token_and_citizen):
    token, citizen = token_and_citizen
    response = await client.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"sub", "email", "email_verified", "phone_number", "phone_number_verified"}
    assert body["email"] == citizen.email and body["phone_number"] == "+447700900123"
