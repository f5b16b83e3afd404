"""/token under hostile input.

Contract (oidc/token/*.py): every error is JSON {error, error_description}, status 400,
Cache-Control no-store; garbage codes and assertions never yield tokens. What a failed request
does to a good code is exactly what authorization_code.exchange does: client authentication and
the code/redirect_uri presence checks run before the code is touched (it survives them); once
the code is popped (wrong client, wrong redirect_uri, PKCE failure) it is gone for good.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlencode

import pytest
from hypothesis import assume, given, strategies as st

from tests.properties.support import (
    assert_token_error, fake_jwt, fake_jwts, live_keys, profile,
    raw_request, text_values,
)
from tests.support.rp import redirect_params, sign_in

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_PARAMS = ["grant_type", "code", "redirect_uri", "client_assertion_type", "client_assertion",
                "client_id", "client_secret", "code_verifier", "scope", "refresh_token"]


async def fresh_code(http, rp, citizen, **params) -> str:
    """A code by single sign-on: the first call signs in, later ones reuse the session. Only
    `Cl` (password), so that several tests can sign the same citizen in within one TOTP window."""
    auth = rp.authorize_params(vtr='["Cl"]', **params)
    response = await http.get("/authorize?" + urlencode(auth))
    assert response.status_code == 302, response.text
    if response.headers["location"] == "/sign-in-or-create":
        response = await sign_in(http, citizen, mfa=False)
    return redirect_params(response)["code"]


async def post_token(http, form: dict | list):
    return await http.post("/token", content=urlencode(form), headers={"content-type": "application/x-www-form-urlencoded"})


def new_token_keys(before: set, after: set) -> set:
    return {k for k in after - before if k.startswith("at:")}


# --- anything at all -----------------------------------------------------------------------

@given(pairs=st.lists(st.tuples(st.one_of(st.sampled_from(TOKEN_PARAMS), st.text(max_size=10)), text_values), max_size=8))
@profile(60)
async def test_arbitrary_forms_get_a_json_error_and_no_tokens(http, services, pairs):
    before = await live_keys(services)
    response = await post_token(http, pairs)
    assert_token_error(response)
    assert not new_token_keys(before, await live_keys(services))


@given(body=st.binary(max_size=400), ctype=st.sampled_from(
    ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=latin-1", "application/json",
     "text/plain", "multipart/form-data; boundary=zz", ""]))
@profile(40)
async def test_arbitrary_bodies_get_a_json_error(app, body, ctype):
    headers = [(b"content-type", ctype.encode())] if ctype else []
    response = await raw_request(app, "POST", "/token", headers=headers, body=body)
    assert response.exception is None, repr(response.exception)
    assert_token_error(response)


@given(method=st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]))
@profile(6)
async def test_other_methods_are_refused_without_a_5xx(app, method):
    response = await raw_request(app, method, "/token", query=b"grant_type=authorization_code")
    assert response.status_code in (404, 405), response.status_code


# --- a valid client with a garbage code ------------------------------------------------------

@given(code=st.one_of(text_values, st.text("ABCdef0123456789-_", min_size=43, max_size=43), st.just("a" * 257)))
@profile(40)
async def test_a_random_code_never_yields_tokens(http, services, rp, code):
    assume(code)
    before = await live_keys(services)
    response = await rp.token(http, code)
    body = assert_token_error(response, {"invalid_grant"})
    assert "access_token" not in body and "id_token" not in body
    assert not new_token_keys(before, await live_keys(services))


@given(assertion=fake_jwts())
@profile(50)
async def test_a_garbage_assertion_never_yields_tokens(http, services, rp, citizen, assertion):
    assume(assertion)
    code = await fresh_code(http, rp, citizen)
    before = await live_keys(services)
    response = await rp.token(http, code, client_assertion=assertion)
    assert_token_error(response, {"invalid_client", "invalid_request"})
    assert not new_token_keys(before, await live_keys(services))
    # Client authentication failed before the code was touched: it still works, once.
    good = await rp.token(http, code)
    assert good.status_code == 200, good.text
    assert_token_error(await rp.token(http, code), {"invalid_grant"})


claim_mutations = st.fixed_dictionaries({}, optional={
    "iss": text_values, "sub": text_values, "aud": st.one_of(text_values, st.lists(text_values, max_size=3)),
    "exp": st.one_of(st.integers(-(2**40), 2**40), st.floats(allow_nan=False), text_values, st.booleans()),
    "iat": st.one_of(st.integers(-(2**40), 2**40), text_values, st.booleans()),
    "nbf": st.one_of(st.integers(-(2**40), 2**40), text_values),
    "jti": st.one_of(text_values, st.integers(), st.just("")),
})


@given(claims=claim_mutations.filter(bool))
@profile(40)
async def test_validly_signed_assertions_with_hostile_claims(http, services, rp, citizen, claims):
    """Signed with the service's own key, but any claim may be wrong: an error, or tokens only
    if every claim was in fact acceptable."""
    code = await fresh_code(http, rp, citizen)
    response = await rp.token(http, code, client_assertion=rp.assertion(**claims))
    if response.status_code == 200:
        now = time.time()
        assert claims.get("iss", rp.client_id) == rp.client_id and claims.get("sub", rp.client_id) == rp.client_id
        exp = claims.get("exp", now + 300)
        assert isinstance(exp, int | float) and not isinstance(exp, bool) and exp > now - 31
        return
    body = assert_token_error(response, {"invalid_client", "invalid_grant", "invalid_request"})
    if body["error"] == "invalid_client":  # refused before the code was touched
        assert (await rp.token(http, code)).status_code == 200


@given(verifier=st.one_of(text_values, st.text("abcXYZ0123456789-._~", min_size=43, max_size=128)))
@profile(25)
async def test_pkce_failures_consume_the_code(http, rp, citizen, verifier):
    from tests.support.rp import pkce_pair

    good_verifier, challenge = pkce_pair()
    assume(verifier != good_verifier and verifier)
    code = await fresh_code(http, rp, citizen, code_challenge=challenge, code_challenge_method="S256")
    assert_token_error(await rp.token(http, code, code_verifier=verifier), {"invalid_grant"})
    # authorization_code.exchange pops the code before checking PKCE: it is spent.
    assert_token_error(await rp.token(http, code, code_verifier=good_verifier), {"invalid_grant"})


@given(uri=st.one_of(text_values, st.sampled_from(["https://evil.example/callback"])))
@profile(20)
async def test_a_wrong_redirect_uri_consumes_the_code(http, rp, citizen, uri):
    assume(uri and uri != rp.redirect_uri and len(uri) < 4000)
    code = await fresh_code(http, rp, citizen)
    assert_token_error(await rp.token(http, code, redirect_uri=uri), {"invalid_grant"})
    assert_token_error(await rp.token(http, code), {"invalid_grant"})


async def test_another_clients_attempt_consumes_the_code_and_issues_nothing(http, services, rp, other_rp, citizen):
    code = await fresh_code(http, rp, citizen)
    before = await live_keys(services)
    # other_rp authenticates correctly but presents rp's code.
    assert_token_error(await other_rp.token(http, code, redirect_uri=rp.redirect_uri), {"invalid_grant"})
    assert not new_token_keys(before, await live_keys(services))
    # Documented: the code was popped before the client check, so the rightful client is refused too.
    assert_token_error(await rp.token(http, code), {"invalid_grant"})


@pytest.mark.parametrize("missing", ["code", "redirect_uri", "grant_type"])
async def test_a_missing_parameter_leaves_the_code_usable(http, rp, citizen, missing):
    code = await fresh_code(http, rp, citizen)
    form = rp.token_form(code)
    del form[missing]
    body = assert_token_error(await post_token(http, form))
    assert body["error"] == "invalid_request"
    assert (await rp.token(http, code)).status_code == 200


@given(name=st.sampled_from(TOKEN_PARAMS[:6]), second=st.one_of(st.none(), text_values))
@profile(20)
async def test_duplicated_parameters_are_refused_and_leave_the_code_usable(http, rp, citizen, name, second):
    code = await fresh_code(http, rp, citizen)
    form = list(rp.token_form(code).items())
    first = dict(form).get(name, "x")
    if name not in dict(form):
        form.insert(0, (name, first))
    form.append((name, first if second is None else second))
    body = assert_token_error(await post_token(http, form))
    assert body["error"] == "invalid_request" and "Duplicate" in body["error_description"]
    assert (await rp.token(http, code)).status_code == 200


async def test_a_replayed_assertion_is_refused_and_leaves_the_code_usable(http, rp, citizen):
    jti = str(uuid.uuid4())
    first = await fresh_code(http, rp, citizen)
    assert (await rp.token(http, first, client_assertion=rp.assertion(jti=jti))).status_code == 200
    code = await fresh_code(http, rp, citizen)
    body = assert_token_error(await rp.token(http, code, client_assertion=rp.assertion(jti=jti)))
    assert body["error"] == "invalid_client"
    assert (await rp.token(http, code)).status_code == 200


@given(size=st.integers(65537, 200000))
@profile(8)
async def test_oversized_bodies_are_refused(http, rp, size):
    form = urlencode(rp.token_form("x")) + "&padding=" + "a" * size
    response = await http.post("/token", content=form, headers={"content-type": "application/x-www-form-urlencoded"})
    body = assert_token_error(response)
    assert body["error"] == "invalid_request"


async def test_an_oversized_assertion_is_refused(http, rp):
    body = assert_token_error(await rp.token(http, "x", client_assertion="a." * 5000))
    assert body == {"error": "invalid_request", "error_description": "Invalid private_key_jwt"}


@given(grant=st.one_of(st.sampled_from(["refresh_token", "client_credentials", "password", "implicit",
                                        "urn:ietf:params:oauth:grant-type:jwt-bearer", "AUTHORIZATION_CODE"]), text_values))
@profile(15)
async def test_unsupported_grant_types(http, rp, grant):
    assume(grant and grant != "authorization_code" and "\x00" not in grant)
    body = assert_token_error(await rp.token(http, "x", grant_type=grant))
    assert body["error"] in {"unsupported_grant_type", "invalid_request"}


# --- found bugs ------------------------------------------------------------------------------

async def test_a_deeply_nested_assertion_payload_is_a_malformed_assertion(http, rp):
    assertion = fake_jwt({"alg": "ES256"}, b"[" * 5000)
    body = assert_token_error(await rp.token(http, "x", client_assertion=assertion))
    assert body == {"error": "invalid_request", "error_description": "Invalid private_key_jwt"}


async def test_a_nul_in_the_unverified_issuer_is_refused_cleanly(http, rp):
    assertion = fake_jwt({"alg": "ES256"}, {"iss": "a\x00b", "sub": "a\x00b"})
    body = assert_token_error(await rp.token(http, "x", client_assertion=assertion))
    assert body == {"error": "invalid_request", "error_description": "Invalid private_key_jwt"}
    assertion = fake_jwt({"alg": "ES256"}, {"iss": "a\x00b", "sub": "a\x00b", "aud": "x", "exp": 2**31})
    response = await rp.token(http, "x", client_assertion=assertion)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("length", [120, 256])
async def test_a_long_jti_within_the_documented_limit_is_accepted(http, rp, citizen, length):
    code = await fresh_code(http, rp, citizen)
    response = await rp.token(http, code, client_assertion=rp.assertion(jti="j" * length))
    assert response.status_code == 200, (response.status_code, response.text[:200])
