"""/userinfo under hostile Authorization headers: always 401 with WWW-Authenticate (RFC 6750
§3), never 5xx, never someone's claims for a token we did not issue."""

from __future__ import annotations

from urllib.parse import urlencode

from hypothesis import given, strategies as st

from tests.properties.support import HOSTILE_STRINGS, fake_jwts, profile, raw_request
from tests.support.rp import redirect_params, sign_in

header_values = st.one_of(
    st.builds(lambda s, t: f"{s} {t}", st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "DPoP", "Bearer ", "MAC"]),
              st.one_of(st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80), fake_jwts(),
                        st.just("a" * 513), st.just("a" * 512))),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=60),
    st.sampled_from([h for h in HOSTILE_STRINGS if h.isascii() and "\r" not in h]),
)


def assert_unauthorized(response):
    assert response.status_code == 401, (response.status_code, response.text[:200])
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer")
    if "error=" in challenge:
        assert 'error="invalid_token"' in challenge
    assert response.headers["cache-control"] == "no-store"
    assert b"sub" not in response.content


@given(value=header_values, method=st.sampled_from(["GET", "POST"]))
@profile(60)
async def test_any_authorization_header_without_a_real_token_is_401(app, value, method):
    response = await raw_request(app, method, "/userinfo", headers=[(b"authorization", value.encode())])
    assert response.exception is None, repr(response.exception)
    assert_unauthorized(response)


@given(headers=st.lists(st.tuples(st.sampled_from([b"authorization", b"Authorization", b"x-authorization", b"cookie"]),
                                  st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))), max_size=3),
       query=st.binary(max_size=100), body=st.binary(max_size=100))
@profile(40)
async def test_raw_headers_queries_and_bodies_never_break_userinfo(app, headers, query, body):
    response = await raw_request(app, "POST", "/userinfo", query=query, headers=headers, body=body)
    assert response.exception is None, repr(response.exception)
    assert_unauthorized(response)


async def test_a_token_in_the_query_or_body_is_not_accepted_and_a_real_one_still_works(http, rp, citizen):
    auth = rp.authorize_params(vtr='["Cl"]')
    response = await http.get("/authorize?" + urlencode(auth))
    if response.headers["location"] == "/sign-in-or-create":
        response = await sign_in(http, citizen, mfa=False)
    token = (await rp.token(http, redirect_params(response)["code"])).json()["access_token"]
    assert_unauthorized(await http.get("/userinfo", params={"access_token": token}))
    assert_unauthorized(await http.post("/userinfo", data={"access_token": token}))
    # Near misses of the real token are refused; the token itself still works afterwards.
    # (Surrounding whitespace is stripped, as HTTP's optional whitespace is, so it is no near miss.)
    for near in (token[:-1], token + "a", token.upper(), f'"{token}"', f"{token} {token}", token + "%00"):
        assert_unauthorized(await http.get("/userinfo", headers={"Authorization": f"Bearer {near}"}))
    ok = await http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and ok.json()["email"] == citizen.email
