"""/logout under hostile input: without a signed-in session, always a 302, either to /signed-out
(with error_code when the request was bad, and the service's state) or to a
post_logout_redirect_uri registered for the service the verified id_token_hint names. Never
anywhere else, never 5xx, and the session cookie is always cleared. A signed-in browser whose
session the hint does not name is asked to confirm first."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given, strategies as st

from tests.properties.support import fake_jwts, profile, raw_request, text_values
from tests.support.rp import redirect_params, sign_in

LOGOUT_PARAMS = ["id_token_hint", "post_logout_redirect_uri", "state", "client_id", "ui_locales"]


def check_logout(response, allowed_uris=()):
    assert response.exception is None, repr(response.exception)
    assert response.status_code == 302, (response.status_code, response.text[:200])
    location = response.headers["location"]
    base = location.split("?", 1)[0]
    assert base == "/signed-out" or base in allowed_uris, location
    if base == "/signed-out" and "?" in location:
        got = parse_qs(urlsplit(location).query)
        assert set(got) <= {"error_code", "error_description", "state"}, got
        assert got.get("error_code", ["invalid_request"]) in (["invalid_request"], ["unauthorized_client"]), got
    assert any(h.startswith("gs=") for h in response.headers.get_list("set-cookie")), "cookie not cleared"
    return location


@given(pairs=st.lists(st.tuples(st.one_of(st.sampled_from(LOGOUT_PARAMS), st.text(max_size=8)),
                                st.one_of(text_values, fake_jwts())), max_size=5))
@profile(50)
async def test_any_parameters_go_only_to_signed_out(app, rp, pairs):
    response = await raw_request(app, "GET", "/logout", query=urlencode(pairs).encode())
    check_logout(response)


@given(query=st.binary(max_size=300))
@profile(30)
async def test_raw_query_bytes_go_only_to_signed_out(app, query):
    check_logout(await raw_request(app, "GET", "/logout", query=query))


@given(size=st.integers(2049, 10000))
@profile(8)
async def test_an_oversized_query_is_an_invalid_request(app, rp, size):
    query = urlencode({"post_logout_redirect_uri": rp.redirect_uri, "state": "s" * size}).encode()
    location = check_logout(await raw_request(app, "GET", "/logout", query=query))
    assert "error_code=invalid_request" in location


@given(uri=st.one_of(text_values, st.sampled_from(["https://evil.example/signed-out", "//evil.example"])),
       state=st.one_of(st.none(), text_values))
@profile(20)
async def test_with_a_real_hint_only_a_registered_uri_is_followed(http, app, rp, citizen, id_token, uri, state):
    registered = rp.registration["post_logout_redirect_uris"]
    params = {"id_token_hint": id_token, "post_logout_redirect_uri": uri, "state": state}
    response = await raw_request(app, "GET", "/logout", query=urlencode({k: v for k, v in params.items() if v}).encode())
    location = check_logout(response, registered)
    if uri in registered:
        assert location.startswith(uri)
        if state:
            assert parse_qs(urlsplit(location).query)["state"] == [state]


async def test_a_signed_in_browser_with_a_bad_request_is_asked_then_signed_out(http, rp, citizen):
    auth = rp.authorize_params(vtr='["Cl"]')
    response = await http.get("/authorize?" + urlencode(auth))
    if response.headers["location"] == "/sign-in-or-create":
        response = await sign_in(http, citizen, mfa=False)
    assert "code" in redirect_params(response)
    response = await http.get("/logout", params={"id_token_hint": "garbage", "post_logout_redirect_uri": rp.redirect_uri})
    assert response.status_code == 200 and 'action="/logout"' in response.text  # confirm first
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', response.text))
    response = await http.post("/logout", data={k: html.unescape(v) for k, v in form.items()})
    assert response.headers["location"].startswith("/signed-out?error_code=invalid_request")
    again = await http.get("/authorize?" + urlencode(rp.authorize_params(vtr='["Cl"]')))
    assert again.headers["location"] == "/sign-in-or-create"  # the session really ended


async def test_a_hostile_session_cookie_is_ignored(app):
    response = await raw_request(app, "GET", "/logout", headers=[(b"cookie", b'gs="\\000x"')])
    check_logout(response)


@pytest.fixture(scope="module")
async def id_token(app, settings, services, rp, citizen):
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=settings.issuer_url()) as http:
        response = await http.get("/authorize?" + urlencode(rp.authorize_params(vtr='["Cl"]')))
        response = await sign_in(http, citizen, mfa=False)
        body = (await rp.token(http, redirect_params(response)["code"])).json()
        return body["id_token"]
