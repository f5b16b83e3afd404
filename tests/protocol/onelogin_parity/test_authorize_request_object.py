"""/authorize with a signed request object: One Login's cases
(simulator: src/validators/tests/validate-auth-request-object.test.ts,
src/parse/tests/parse-auth-request.test.ts, tests/integration/authorise-get-controller.test.ts).
Where One Login answers 500 (a JWKS it cannot use, claims it cannot parse, a request object
without openid), govsignin answers the error page or a redirect instead
(docs/onelogin-compatibility.md)."""

import pytest

from tests.protocol.onelogin_parity.support import (
    VOCAB, assert_page, authorize, begins_a_journey, jar_query, redirected_error, request_object,
)
from tests.support.rp import TestRP

STATE = "jar-state"
PARSE_ERROR = {"error": "invalid_request", "error_description": "Invalid Request"}


@pytest.fixture
async def rp(services):
    return await TestRP.create(services, alg="RS256")


async def send(client, rp, query_overrides=None, **claims):
    claims = {"state": STATE, **claims}
    return await authorize(client, jar_query(rp, request_object(rp, **claims), **(query_overrides or {})))


async def error_with_state(client, rp, query_overrides=None, **claims) -> tuple[str, str]:
    got = redirected_error(await send(client, rp, query_overrides, **claims), rp)
    assert got.pop("state") == STATE, got
    return got["error"], got["error_description"]


# --- parse errors ----------------------------------------------------------------------------

async def test_request_with_request_uri_is_the_error_page(client, rp):
    query = jar_query(rp, request_object(rp), request_uri="https://rp.example/request.jwt")
    assert_page(await authorize(client, query))


async def test_request_with_request_uri_and_a_registered_redirect_uri_is_a_parse_error(client, rp):
    query = jar_query(rp, request_object(rp), request_uri="https://rp.example/r.jwt", redirect_uri=rp.redirect_uri)
    assert redirected_error(await authorize(client, query), rp) == PARSE_ERROR


async def test_a_request_object_whose_sub_is_the_client_id_is_the_error_page(client, rp):
    assert_page(await send(client, rp, sub=rp.client_id))


async def test_a_request_object_without_a_dot_is_the_error_page(client, rp):
    assert_page(await authorize(client, jar_query(rp, "not-a-jwt")))


async def test_a_request_object_whose_header_is_not_json_is_the_error_page(client, rp):
    assert_page(await authorize(client, jar_query(rp, "bm90LWpzb24." + request_object(rp).split(".", 1)[1])))


# --- not redirected --------------------------------------------------------------------------

async def test_an_unknown_client_id_is_the_error_page(client, rp):
    assert_page(await send(client, rp, {"client_id": "no-such-client"}))


async def test_an_invalid_signature_is_the_error_page(client, rp, services):
    other = await TestRP.create(services, alg="RS256")
    forged = request_object(other, iss=rp.client_id, client_id=rp.client_id, redirect_uri=rp.redirect_uri)
    assert_page(await authorize(client, jar_query(rp, forged)))


async def test_a_redirect_uri_the_client_has_not_registered_is_the_error_page(client, rp):
    assert_page(await send(client, rp, redirect_uri="https://elsewhere.example/callback"))


async def test_no_redirect_uri_is_the_error_page(client, rp):
    assert_page(await send(client, rp, redirect_uri=None))


async def test_an_unknown_response_mode_is_the_error_page(client, rp):
    assert_page(await send(client, rp, response_mode="form_post"))


async def test_a_jwks_that_cannot_be_fetched_is_the_error_page(client, services):
    from joserfc.jwk import RSAKey

    rp = await TestRP.create(services, alg="RS256", public_keys_pem=[], jwks_uri="http://localhost:9/jwks.json")
    rp.key = RSAKey.generate_key(2048, private=True)
    rp.key.ensure_kid()
    assert_page(await send(client, rp))


# --- redirected, with the object's state -----------------------------------------------------

async def test_no_state_is_invalid_request_without_state(client, rp):
    got = redirected_error(await send(client, rp, state=None), rp)
    assert got == {"error": "invalid_request", "error_description": "Request is missing state parameter"}


async def test_a_query_response_type_other_than_code_is_unsupported_response_type(client, rp):
    got = await error_with_state(client, rp, {"response_type": "token"})
    assert got == ("unsupported_response_type", "Unsupported response type")


async def test_unknown_scopes_in_the_query_are_invalid_scope(client, rp):
    got = await error_with_state(client, rp, {"scope": "openid wallet"})
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_query_scopes_the_client_is_not_registered_for_are_invalid_scope(client, services):
    rp = await TestRP.create(services, alg="RS256", scopes=["openid", "email"])
    got = await error_with_state(client, rp, {"scope": "openid phone"}, scope="openid email")
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_no_client_id_in_the_object_is_unauthorized_client(client, rp):
    assert await error_with_state(client, rp, client_id=None) == ("unauthorized_client", "Unauthorized client")


async def test_a_client_id_in_the_object_that_is_not_the_querys_is_unauthorized_client(client, rp):
    got = await error_with_state(client, rp, client_id="someone-else")
    assert got == ("unauthorized_client", "Unauthorized client")


async def test_request_inside_the_object_is_invalid_request(client, rp):
    assert await error_with_state(client, rp, request="x.y.z") == ("invalid_request", "Invalid request")


async def test_request_uri_inside_the_object_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, request_uri="https://rp.example/r.jwt")
    assert got == ("invalid_request", "Invalid request")


async def test_no_aud_is_access_denied(client, rp):
    got = await error_with_state(client, rp, aud=None)
    assert got == ("access_denied", "Access denied by resource owner or authorization server")


async def test_an_aud_other_than_the_authorize_endpoint_is_access_denied(client, rp):
    got = await error_with_state(client, rp, aud="https://elsewhere.example/authorize")
    assert got == ("access_denied", "Access denied by resource owner or authorization server")


async def test_no_iss_is_unauthorized_client(client, rp):
    assert await error_with_state(client, rp, iss=None) == ("unauthorized_client", "Unauthorized client")


async def test_an_iss_that_is_not_the_client_id_is_unauthorized_client(client, rp):
    assert await error_with_state(client, rp, iss="someone-else") == ("unauthorized_client", "Unauthorized client")


async def test_an_object_response_type_other_than_code_is_unsupported_response_type(client, rp):
    got = await error_with_state(client, rp, response_type="token")
    assert got == ("unsupported_response_type", "Unsupported response type")


async def test_unknown_scopes_in_the_object_are_invalid_scope(client, rp):
    got = await error_with_state(client, rp, scope="openid wallet")
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_object_scopes_the_client_is_not_registered_for_are_invalid_scope(client, services):
    rp = await TestRP.create(services, alg="RS256", scopes=["openid", "email"])
    got = await error_with_state(client, rp, {"scope": "openid email"}, scope="openid phone")
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_an_object_scope_without_openid_is_invalid_scope(client, rp):
    got = await error_with_state(client, rp, scope="email")
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_claims_that_cannot_be_parsed_are_invalid_request(client, rp):
    got = await error_with_state(client, rp, claims="{userinfo")
    assert got == ("invalid_request", "Request contains invalid claims")


async def test_unknown_claims_in_the_object_are_invalid_request(client, rp):
    got = await error_with_state(client, rp, claims={"userinfo": {"https://example.com/shoe-size": None}})
    assert got == ("invalid_request", "Request contains invalid claims")


async def test_claims_the_client_is_not_registered_for_are_invalid_request(client, rp):
    got = await error_with_state(client, rp, claims={"userinfo": {VOCAB + "address": None}})
    assert got == ("invalid_request", "Request contains invalid claims")


async def test_no_nonce_is_invalid_request(client, rp):
    assert await error_with_state(client, rp, nonce=None) == ("invalid_request", "Request is missing nonce parameter")


@pytest.mark.parametrize("vtr", ["[]]", '["Ch"]', '["Cl.P2"]', '["Cl.Cm.P2","Cl.Cm"]'])
async def test_an_invalid_vtr_is_invalid_request(client, rp, vtr):
    assert await error_with_state(client, rp, vtr=vtr) == ("invalid_request", "Request vtr not valid")


async def test_a_negative_max_age_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, max_age=-5)
    assert got == ("invalid_request", "Max age is negative in request object")


async def test_a_max_age_that_is_not_an_integer_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, max_age="soon")
    assert got == ("invalid_request", "Max age could not be parsed to an integer")


async def test_a_login_hint_over_256_characters_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, login_hint="a" * 257)
    assert got == ("invalid_request", "login_hint parameter is invalid")


async def test_an_invalid_channel_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, channel="carrier-pigeon")
    assert got == ("invalid_request", "Invalid value for channel parameter.")


async def test_select_account_is_unmet_authentication_requirements(client, rp):
    got = await error_with_state(client, rp, prompt="select_account")
    assert got == ("unmet_authentication_requirements", "Unmet authentication requirements")


async def test_a_code_challenge_method_other_than_s256_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, code_challenge="a" * 43, code_challenge_method="plain")
    assert got == ("invalid_request", "Invalid value for code_challenge_method parameter.")


async def test_a_code_challenge_without_its_method_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, code_challenge="a" * 43)
    assert got == ("invalid_request", "Request is missing code_challenge_method parameter. "
                   "code_challenge_method is required when code_challenge is present.")


async def test_a_whitespace_code_challenge_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, code_challenge="   ", code_challenge_method="S256")
    assert got == ("invalid_request", "Invalid value for code_challenge parameter.")


# --- valid ----------------------------------------------------------------------------------

async def test_a_valid_minimal_request_object_begins_a_journey(client, rp):
    assert begins_a_journey(await send(client, rp, vtr=None))


async def test_a_valid_request_object_with_every_parameter_begins_a_journey(client, services):
    rp = await TestRP.create(services, alg="RS256", claims=[VOCAB + "address"])
    response = await send(client, rp, vtr=["Cl.Cm"], ui_locales="cy", max_age=3600, login_hint="a@example.com",
                          prompt="login", channel="web", claims={"userinfo": {VOCAB + "address": None}},
                          code_challenge="a" * 43, code_challenge_method="S256")
    assert begins_a_journey(response)


async def test_a_valid_channel_in_the_object_is_accepted(client, rp):
    assert begins_a_journey(await send(client, rp, channel="generic_app"))
