"""/token: One Login's cases (simulator: src/parse/tests/parse-token-request.test.ts,
src/components/token/tests/client-authentication/*.test.ts, tests/integration/token-controller.test.ts).
Where One Login answers 500 for a JWKS it cannot use, govsignin answers 400 invalid_client
(docs/onelogin-compatibility.md)."""

import base64
import json
import time

import pytest
from joserfc import jwt

from tests.protocol.onelogin_parity.support import token_error
from tests.support.rp import TestRP, code_for, make_citizen, pkce_pair

BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MALFORMED = {"error": "invalid_request", "error_description": "Invalid private_key_jwt"}
BAD_SIGNATURE = {"error": "invalid_client", "error_description": "Invalid signature in private_key_jwt"}
WRONG_METHOD = {"error": "invalid_request", "error_description": "Invalid token authentication method used"}


@pytest.fixture
async def rp(services):
    return await TestRP.create(services, alg="RS256")


@pytest.fixture
async def citizen(services):
    return await make_citizen(services)


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned(header: dict, claims, signature: str = "c2ln") -> str:
    return f"{b64(header)}.{b64(claims)}.{signature}"


def claims_of(rp, **overrides) -> dict:
    now = int(time.time())
    claims = {"iss": rp.client_id, "sub": rp.client_id, "aud": rp.settings.endpoint("/token"),
              "iat": now, "exp": now + 300, "jti": f"jti-{time.monotonic_ns()}"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def signed(rp, **overrides) -> str:
    return jwt.encode({"alg": rp.alg, "kid": rp.key.kid}, claims_of(rp, **overrides), rp.key)


async def post(client, rp, code="some-code", **form):
    body = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "client_assertion_type": BEARER, "client_assertion": rp.assertion()}
    body.update(form)
    return await client.post("/token", data={k: v for k, v in body.items() if v is not None})


# --- the request ----------------------------------------------------------------------------

async def test_no_grant_type_is_invalid_request(client, rp):
    body = token_error(await post(client, rp, grant_type=None))
    assert body == {"error": "invalid_request", "error_description": "Request is missing grant_type parameter"}


async def test_a_grant_type_other_than_authorization_code_is_unsupported_grant_type(client, rp):
    body = token_error(await post(client, rp, grant_type="client_credentials"))
    assert body == {"error": "unsupported_grant_type", "error_description": "Unsupported grant type"}


async def test_no_redirect_uri_is_invalid_request(client, rp):
    body = token_error(await post(client, rp, redirect_uri=None))
    assert body == {"error": "invalid_request", "error_description": "Request is missing redirect_uri parameter"}


async def test_no_code_is_invalid_request(client, rp):
    body = token_error(await post(client, rp, code=None))
    assert body == {"error": "invalid_request", "error_description": "Request is missing code parameter"}


async def test_an_empty_code_is_invalid_request(client, rp):
    body = token_error(await post(client, rp, code=""))
    assert body == {"error": "invalid_request", "error_description": "Request is missing code parameter"}


async def test_no_client_assertion_type_is_the_wrong_authentication_method(client, rp):
    assert token_error(await post(client, rp, client_assertion_type=None)) == WRONG_METHOD


async def test_no_client_assertion_is_the_wrong_authentication_method(client, rp):
    assert token_error(await post(client, rp, client_assertion=None)) == WRONG_METHOD


async def test_a_wrong_client_assertion_type_is_an_invalid_private_key_jwt(client, rp):
    assert token_error(await post(client, rp, client_assertion_type=BEARER + "-invalid")) == MALFORMED


# --- a malformed assertion: invalid_request ---------------------------------------------------

async def test_an_assertion_that_is_not_a_jws_is_malformed(client, rp):
    assert token_error(await post(client, rp, client_assertion="not-a-jws")) == MALFORMED


async def test_an_assertion_whose_payload_is_not_json_is_malformed(client, rp):
    assertion = f"{b64({'alg': 'RS256'})}.{b64(b'not json')}.c2ln"
    assert token_error(await post(client, rp, client_assertion=assertion)) == MALFORMED


async def test_an_assertion_with_an_empty_signature_is_malformed(client, rp):
    assertion = unsigned({"alg": "RS256"}, claims_of(rp), signature="")
    assert token_error(await post(client, rp, client_assertion=assertion)) == MALFORMED


@pytest.mark.parametrize("claim", ["sub", "iss", "aud", "exp"])
async def test_an_assertion_without_a_required_claim_is_malformed(client, rp, claim):
    assertion = signed(rp, **{claim: None})
    assert token_error(await post(client, rp, client_assertion=assertion)) == MALFORMED


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
async def test_an_assertion_with_a_time_that_is_not_a_number_is_malformed(client, rp, claim):
    assertion = rp.assertion(**{claim: "soon"})
    assert token_error(await post(client, rp, client_assertion=assertion)) == MALFORMED


async def test_an_assertion_without_alg_is_malformed(client, rp):
    assertion = unsigned({"typ": "JWT"}, claims_of(rp))
    assert token_error(await post(client, rp, client_assertion=assertion)) == MALFORMED


async def test_an_assertion_with_an_alg_that_is_not_rsa_or_ecdsa_is_malformed(client, rp):
    assertion = unsigned({"alg": "HS256"}, claims_of(rp))
    assert token_error(await post(client, rp, client_assertion=assertion)) == MALFORMED


async def test_a_form_client_id_that_is_not_the_assertions_sub_is_malformed(client, rp):
    assert token_error(await post(client, rp, client_id="someone-else")) == MALFORMED


# --- authentication: invalid_client ------------------------------------------------------------

async def test_an_unknown_client_is_401_invalid_client(client, rp):
    assertion = signed(rp, iss="no-such-client", sub="no-such-client")
    body = token_error(await post(client, rp, client_assertion=assertion), status=401)
    assert body == {"error": "invalid_client", "error_description": "Client authentication failed"}


async def test_an_expired_assertion_is_invalid_grant(client, rp):
    now = int(time.time())
    body = token_error(await post(client, rp, client_assertion=rp.assertion(iat=now - 600, exp=now - 300)))
    assert body == {"error": "invalid_grant", "error_description": "private_key_jwt has expired"}


async def test_an_invalid_signature_is_invalid_client(client, rp, services):
    other = await TestRP.create(services, alg="RS256")
    forged = other.assertion(iss=rp.client_id, sub=rp.client_id)
    assert token_error(await post(client, rp, client_assertion=forged)) == BAD_SIGNATURE


async def test_an_unknown_audience_is_an_invalid_signature(client, rp):
    assertion = rp.assertion(aud="https://elsewhere.example/token")
    assert token_error(await post(client, rp, client_assertion=assertion)) == BAD_SIGNATURE


async def test_an_iss_that_is_not_the_sub_is_an_invalid_signature(client, rp):
    assertion = rp.assertion(iss="someone-else")
    assert token_error(await post(client, rp, client_assertion=assertion)) == BAD_SIGNATURE


async def test_a_jwks_that_cannot_be_fetched_is_invalid_client(client, services):
    from joserfc.jwk import RSAKey

    rp = await TestRP.create(services, alg="RS256", public_keys_pem=[], jwks_uri="http://localhost:9/jwks.json")
    rp.key = RSAKey.generate_key(2048, private=True)
    rp.key.ensure_kid()
    body = token_error(await post(client, rp))
    assert body["error"] == "invalid_client"


# --- the code ----------------------------------------------------------------------------------

async def test_an_unknown_code_is_invalid_grant(client, rp):
    assert token_error(await post(client, rp, code="made-up")) == {"error": "invalid_grant", "error_description": "Invalid grant"}


async def test_a_redirect_uri_that_is_not_the_authorize_requests_is_invalid_grant(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    body = token_error(await post(client, rp, code=code, redirect_uri=rp.redirect_uri + "/other"))
    assert body == {"error": "invalid_grant", "error_description": "Invalid grant"}


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
async def test_a_valid_assertion_gets_tokens(client, services, citizen, alg):
    rp = await TestRP.create(services, alg=alg)
    code, _ = await code_for(client, rp, citizen)
    response = await post(client, rp, code=code, client_assertion=rp.assertion())
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "token_type", "expires_in", "id_token"}


async def test_the_issuer_as_audience_gets_tokens(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    response = await post(client, rp, code=code, client_assertion=rp.assertion(aud=rp.settings.issuer_url()))
    assert response.status_code == 200


# --- PKCE --------------------------------------------------------------------------------------

PKCE_FAILED = {"error": "invalid_grant", "error_description": "PKCE code verification failed"}


async def test_a_matching_code_verifier_gets_tokens(client, rp, citizen):
    verifier, challenge = pkce_pair()
    code, _ = await code_for(client, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    assert (await post(client, rp, code=code, code_verifier=verifier)).status_code == 200


async def test_a_code_verifier_that_does_not_match_is_invalid_grant(client, rp, citizen):
    _, challenge = pkce_pair()
    code, _ = await code_for(client, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    assert token_error(await post(client, rp, code=code, code_verifier=pkce_pair()[0])) == PKCE_FAILED


async def test_a_code_verifier_without_a_challenge_is_invalid_grant(client, rp, citizen):
    code, _ = await code_for(client, rp, citizen)
    assert token_error(await post(client, rp, code=code, code_verifier=pkce_pair()[0])) == PKCE_FAILED


async def test_no_code_verifier_for_a_challenge_is_invalid_grant(client, rp, citizen):
    _, challenge = pkce_pair()
    code, _ = await code_for(client, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    assert token_error(await post(client, rp, code=code)) == PKCE_FAILED
