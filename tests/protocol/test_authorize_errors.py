"""/authorize errors, as One Login answers them (onelogin-contract.md §1.2, §1.7)."""

import json
from urllib.parse import urlencode

import pytest

from tests.support.rp import TestRP, redirect_params


@pytest.fixture
async def rp(services):
    return await TestRP.create(services)


async def authorize(client, **params):
    return await client.get("/authorize?" + urlencode(params))


def is_error_page(response):
    return response.status_code == 400 and "text/html" in response.headers["content-type"] and "location" not in response.headers


async def test_unknown_client_gets_the_error_page_not_a_redirect(client, rp):
    response = await authorize(client, **rp.authorize_params(client_id="no-such-client"))
    assert is_error_page(response)


async def test_unregistered_redirect_uri_gets_the_error_page(client, rp):
    for uri in (rp.redirect_uri + "/", rp.redirect_uri.upper(), rp.redirect_uri + "?x=1", "https://evil.example/cb"):
        response = await authorize(client, **rp.authorize_params(redirect_uri=uri))
        assert is_error_page(response), uri


async def test_missing_client_id_or_redirect_uri_gets_the_error_page(client, rp):
    assert is_error_page(await authorize(client, **rp.authorize_params(client_id=None)))
    assert is_error_page(await authorize(client, **rp.authorize_params(redirect_uri=None)))


async def test_duplicated_parameters_get_the_error_page(client, rp):
    query = urlencode(rp.authorize_params()) + "&scope=openid"
    assert is_error_page(await client.get("/authorize?" + query))


async def test_bad_response_mode_gets_the_error_page(client, rp):
    assert is_error_page(await authorize(client, **rp.authorize_params(response_mode="form_post")))


async def test_query_over_4096_characters_gets_the_error_page(client, rp):
    assert is_error_page(await authorize(client, **rp.authorize_params(state="x" * 4100)))


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"response_type": "token"}, "unsupported_response_type", "Unsupported response type"),
        ({"scope": "openid profile"}, "invalid_scope", "Invalid, unknown or malformed scope"),
        ({"nonce": None}, "invalid_request", "Request is missing nonce parameter"),
        ({"vtr": '["Cl.Cm.P4"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cm"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cl.P2"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cl.Cm.P2","Cl.Cm"]'}, "invalid_request", "Request vtr not valid"),
        ({"vtr": "not json"}, "invalid_request", "Request vtr not valid"),
        ({"vtr": '["Cl.Cm.P2"]'}, "invalid_request", "Request vtr is not permitted"),
        ({"claims": '{"id_token":{}}'}, "invalid_request", "Request contains invalid claims"),
        ({"claims": '{"userinfo":{"https://vocab.account.gov.uk/v1/passport":null}}'}, "invalid_request", "Request contains invalid claims"),
        ({"request_uri": "https://rp.example/req"}, "request_uri_not_supported", "Request URI parameter not supported"),
        ({"prompt": "select_account"}, "unmet_authentication_requirements", None),
        ({"prompt": "none login"}, "invalid_request", None),
        ({"max_age": "-2"}, "invalid_request", "Max age is negative in query params"),
        ({"code_challenge": "a" * 43, "code_challenge_method": "plain"}, "invalid_request", None),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", None),
        ({"channel": "carrier-pigeon"}, "invalid_request", "Invalid value for channel parameter."),
    ],
)
async def test_request_errors_go_back_to_the_service_with_state(client, rp, overrides, error, description):
    params = rp.authorize_params(**overrides)
    response = await authorize(client, **params)
    assert response.status_code == 302
    assert response.headers["location"].startswith(rp.redirect_uri + "?")
    got = redirect_params(response)
    assert got["error"] == error
    assert got["state"] == params["state"]
    if description:
        assert got["error_description"] == description


@pytest.mark.parametrize(
    "overrides",
    [{"scope": "email"}, {"scope": None}, {"claims": "{nope"}, {"prompt": "sometimes"}, {"response_type": "nonsense"}],
)
async def test_parse_errors_go_back_without_state_as_one_login_sends_them(client, rp, overrides):
    response = await authorize(client, **rp.authorize_params(**overrides))
    assert response.status_code == 302
    assert redirect_params(response) == {"error": "invalid_request", "error_description": "Invalid Request"}


async def test_a_max_age_that_is_not_an_integer_gets_the_error_page(client, rp):
    assert is_error_page(await authorize(client, **rp.authorize_params(max_age="soon")))


async def test_missing_state_goes_back_without_state(client, rp):
    response = await authorize(client, **rp.authorize_params(state=None))
    got = redirect_params(response)
    assert got == {"error": "invalid_request", "error_description": "Request is missing state parameter"}


async def test_pkce_is_enforced_for_services_registered_to_require_it(client, services):
    rp = await TestRP.create(services, require_pkce=True)
    got = redirect_params(await authorize(client, **rp.authorize_params()))
    assert got["error"] == "invalid_request"


async def test_services_may_be_exempt_from_nonce(client, services):
    rp = await TestRP.create(services, permit_missing_nonce=True)
    response = await authorize(client, **rp.authorize_params(nonce=None))
    assert response.headers["location"] == "/sign-in-or-create"


async def test_fragment_response_mode_puts_errors_in_the_fragment(client, rp):
    response = await authorize(client, **rp.authorize_params(response_mode="fragment", scope="openid profile"))
    assert response.headers["location"].startswith(rp.redirect_uri + "#error=invalid_scope")


async def test_ui_locales_cy_sets_the_language_cookie(client, rp):
    response = await authorize(client, **rp.authorize_params(ui_locales="fr cy en"))
    assert "lng=cy" in response.headers["set-cookie"]


async def test_login_hint_in_the_query_is_ignored(client, rp):
    response = await authorize(client, **rp.authorize_params(login_hint="someone@example.com"))
    assert response.headers["location"] == "/sign-in-or-create"


async def test_the_vtr_parser_picks_the_lowest_credential_level():
    from govsignin.oidc.authorize.checks.check_vtr import parse_vtr

    assert parse_vtr(None) == ("Cl.Cm", [])
    assert parse_vtr(json.dumps(["Cl.Cm", "Cl"])) == ("Cl", [])
    assert parse_vtr(json.dumps(["Cm.Cl"])) == ("Cl.Cm", [])
    assert parse_vtr(json.dumps(["Cl.Cm.P1", "Cl.Cm.P2"])) == ("Cl.Cm", ["P1", "P2"])
    assert parse_vtr(json.dumps(["Cl.P0"])) == ("Cl", [])
