"""/authorize with query parameters: One Login's parse and validation cases
(simulator: src/parse/tests/parse-auth-request.test.ts,
src/validators/tests/validate-auth-request-query-params.test.ts,
tests/integration/authorise-get-controller.test.ts)."""

import pytest

from tests.protocol.onelogin_parity.support import VOCAB, assert_page, authorize, begins_a_journey, redirected_error
from tests.support.rp import TestRP

PARSE_ERROR = {"error": "invalid_request", "error_description": "Invalid Request"}


@pytest.fixture
async def rp(services):
    return await TestRP.create(services)


# --- not redirected: the error page -------------------------------------------------------

async def test_no_query_parameters_is_the_error_page(client):
    assert_page(await client.get("/authorize"))


async def test_no_client_id_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(client_id=None)))


async def test_no_redirect_uri_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(redirect_uri=None)))


async def test_a_badly_formatted_redirect_uri_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(redirect_uri="not a uri")))


async def test_a_redirect_uri_the_client_has_not_registered_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(redirect_uri="https://elsewhere.example/callback")))


async def test_an_unknown_client_id_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(client_id="no-such-client")))


async def test_an_unknown_prompt_for_an_unregistered_redirect_uri_is_the_error_page(client, rp):
    params = rp.authorize_params(prompt="unknown", redirect_uri="https://elsewhere.example/callback")
    assert_page(await authorize(client, params))


async def test_an_unknown_response_mode_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(response_mode="form_post")))


async def test_a_max_age_that_is_not_an_integer_is_the_error_page(client, rp):
    assert_page(await authorize(client, rp.authorize_params(max_age="ten")))


# --- parse errors: redirected without state ----------------------------------------------

async def test_no_scope_is_a_parse_error_without_state(client, rp):
    assert redirected_error(await authorize(client, rp.authorize_params(scope=None)), rp) == PARSE_ERROR


async def test_a_scope_without_openid_is_a_parse_error_without_state(client, rp):
    assert redirected_error(await authorize(client, rp.authorize_params(scope="email phone")), rp) == PARSE_ERROR


async def test_claims_that_are_not_json_are_a_parse_error_without_state(client, rp):
    assert redirected_error(await authorize(client, rp.authorize_params(claims="{userinfo")), rp) == PARSE_ERROR


async def test_an_unknown_prompt_is_a_parse_error_without_state(client, rp):
    assert redirected_error(await authorize(client, rp.authorize_params(prompt="unknown")), rp) == PARSE_ERROR


async def test_a_response_type_outside_oidc_is_a_parse_error_without_state(client, rp):
    params = rp.authorize_params(response_type="nonsense")
    assert redirected_error(await authorize(client, params), rp) == PARSE_ERROR


async def test_no_response_type_is_a_parse_error_without_state(client, rp):
    params = rp.authorize_params(response_type=None)
    assert redirected_error(await authorize(client, params), rp) == PARSE_ERROR


# --- validation errors: redirected -------------------------------------------------------

async def test_no_state_is_invalid_request_without_state(client, rp):
    got = redirected_error(await authorize(client, rp.authorize_params(state=None)), rp)
    assert got == {"error": "invalid_request", "error_description": "Request is missing state parameter"}


async def error_with_state(client, rp, **overrides) -> tuple[str, str]:
    params = rp.authorize_params(**overrides)
    got = redirected_error(await authorize(client, params), rp)
    assert got.pop("state") == params["state"]
    assert set(got) == {"error", "error_description"}, got
    return got["error"], got["error_description"]


async def test_a_request_uri_is_request_uri_not_supported(client, rp):
    got = await error_with_state(client, rp, request_uri="https://rp.example/request.jwt")
    assert got == ("request_uri_not_supported", "Request URI parameter not supported")


async def test_a_response_type_other_than_code_is_unsupported_response_type(client, rp):
    got = await error_with_state(client, rp, response_type="token")
    assert got == ("unsupported_response_type", "Unsupported response type")


async def test_an_unknown_scope_is_invalid_scope(client, rp):
    got = await error_with_state(client, rp, scope="openid wallet")
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_a_scope_the_client_is_not_registered_for_is_invalid_scope(client, services):
    rp = await TestRP.create(services, scopes=["openid", "email"])
    got = await error_with_state(client, rp, scope="openid phone")
    assert got == ("invalid_scope", "Invalid, unknown or malformed scope")


async def test_an_unknown_claim_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, claims='{"userinfo": {"https://example.com/shoe-size": null}}')
    assert got == ("invalid_request", "Request contains invalid claims")


async def test_a_claim_the_client_is_not_registered_for_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, claims='{"userinfo": {"%saddress": null}}' % VOCAB)
    assert got == ("invalid_request", "Request contains invalid claims")


async def test_no_nonce_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, nonce=None)
    assert got == ("invalid_request", "Request is missing nonce parameter")


@pytest.mark.parametrize("vtr", ["[]]", '["Ch"]', '["Cl.P2"]', '["Cl.Cm.P2","Cl.Cm"]'])
async def test_an_invalid_vtr_is_invalid_request(client, rp, vtr):
    assert await error_with_state(client, rp, vtr=vtr) == ("invalid_request", "Request vtr not valid")


async def test_a_max_age_below_minus_one_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, max_age="-2")
    assert got == ("invalid_request", "Max age is negative in query params")


async def test_a_max_age_of_minus_one_means_none(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(max_age="-1")))


async def test_an_invalid_channel_is_invalid_request(client, rp):
    got = await error_with_state(client, rp, channel="carrier-pigeon")
    assert got == ("invalid_request", "Invalid value for channel parameter.")


async def test_a_valid_channel_is_accepted(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(channel="generic_app")))


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


# --- valid requests ------------------------------------------------------------------------

async def test_a_valid_minimal_request_begins_a_journey(client, rp):
    params = {k: v for k, v in rp.authorize_params().items() if k != "vtr"}
    assert begins_a_journey(await authorize(client, params))


async def test_a_valid_request_with_claims_begins_a_journey(client, services):
    rp = await TestRP.create(services, claims=[VOCAB + "address"])
    params = rp.authorize_params(claims='{"userinfo": {"%saddress": null}}' % VOCAB)
    assert begins_a_journey(await authorize(client, params))


async def test_a_valid_request_with_claims_and_prompt_begins_a_journey(client, services):
    rp = await TestRP.create(services, claims=[VOCAB + "address"])
    params = rp.authorize_params(claims='{"userinfo": {"%saddress": null}}' % VOCAB, prompt="login")
    assert begins_a_journey(await authorize(client, params))


async def test_empty_userinfo_claims_are_accepted(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(claims='{"userinfo": {}}')))


async def test_a_valid_code_challenge_begins_a_journey(client, rp):
    params = rp.authorize_params(code_challenge="a" * 43, code_challenge_method="S256")
    assert begins_a_journey(await authorize(client, params))


async def test_a_login_hint_in_the_query_is_ignored(client, rp):
    assert begins_a_journey(await authorize(client, rp.authorize_params(login_hint="someone@example.com")))
