"""/authorize under hostile input.

Contract (oidc/authorize/endpoint.py and checks/*.py): until client_id and redirect_uri are
proven, every error is the HTML page (400, never a redirect); after that, a 302 to exactly the
registered redirect_uri with error, error_description and state (no state if none was usable).
Nothing is written to the store unless the request is valid and a journey begins.
"""

from __future__ import annotations

import json
from urllib.parse import quote_from_bytes, urlencode

import pytest
from hypothesis import assume, given, strategies as st

from govsignin.oidc.authorize.endpoint import MAX_QUERY

from tests.properties.support import (
    AUTHORIZE_ERRORS, AUTHORIZE_PARAMS, assert_html_error, fake_jwts, live_keys,
    location_parts, profile, raw_request, text_values, wire_query, written_since,
)

JOURNEY_START = "/sign-in-or-create"


async def get_raw(http, query: bytes, cookies: bool = False):
    """GET /authorize with exactly these query bytes, from a browser with no session."""
    if not cookies:
        http.cookies.clear()
    return await raw_request(http._transport.app, "GET", "/authorize", query)


def check_outcome(response, rp, sent: dict | None):
    """The shape every /authorize answer must have; returns the error sent to the service (or None)."""
    assert response.status_code in (302, 400), (response.status_code, response.text[:300])
    if response.status_code == 400:
        assert_html_error(response)
        return "page"
    base, got = location_parts(response)
    if base == JOURNEY_START:
        return None
    # Never anywhere but exactly the registered redirect_uri (no open redirect).
    assert base == rp.redirect_uri, response.headers["location"]
    assert "code" not in got, "a malformed request must never yield a code"
    assert set(got) <= {"error", "error_description", "state"}, got
    assert len(got["error"]) == 1 and got["error"][0] in AUTHORIZE_ERRORS, got
    state = (sent or {}).get("state")
    if "state" in got:
        assert got["state"] == [state], (got, state)
    return got["error"][0]


# --- anything at all in the query string -------------------------------------------------

pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(AUTHORIZE_PARAMS), st.text(max_size=12)), text_values),
    max_size=8,
)


@given(pairs=pairs)
@profile(60)
async def test_arbitrary_parameters_get_the_error_page_or_go_only_to_the_registered_uri(http, services, rp, pairs):
    before = await live_keys(services)
    response = await get_raw(http, urlencode(pairs).encode())
    outcome = check_outcome(response, rp, dict(pairs))
    assert outcome == "page", "without a registered client_id there is nothing to redirect to"
    assert not await written_since(services, before)


@given(raw=st.one_of(wire_query, st.binary(max_size=300).map(lambda b: quote_from_bytes(b, safe="=&").encode())))
@profile(40)
async def test_raw_query_bytes_never_break_authorize(http, rp, raw):
    response = await get_raw(http, raw)
    check_outcome(response, rp, None)


# --- a valid request with one parameter made hostile --------------------------------------

@given(name=st.sampled_from(AUTHORIZE_PARAMS), value=text_values, drop=st.booleans())
@profile(80)
async def test_one_hostile_parameter_on_a_valid_request(http, services, rp, name, value, drop):
    params = rp.authorize_params()
    if drop:
        params.pop(name, None)
    else:
        params[name] = value
    before = await live_keys(services)
    response = await get_raw(http, urlencode(params).encode())
    outcome = check_outcome(response, rp, params)
    if outcome is not None:  # refused: nothing written
        assert not await written_since(services, before)
    # Before the redirect is proven the answer is always the page.
    # (A blank value counts as absent: RFC 6749 §3.1.)
    if name in ("client_id", "redirect_uri") and params.get(name) != getattr(rp, name):
        assert outcome == "page"
    if name == "response_mode" and (params.get(name) or "query") not in ("query", "fragment"):
        assert outcome == "page"
    if outcome not in (None, "page") and response.headers["location"].startswith(rp.redirect_uri + "?"):
        _, got = location_parts(response)
        state = params.get("state")
        if got.get("error_description") == ["Invalid Request"]:  # a parse error: One Login sends no state
            assert got["error"] == ["invalid_request"] and "state" not in got
        elif state and len(state) <= 1024:
            assert got.get("state") == [state]
        else:
            assert "state" not in got


@given(value=st.one_of(st.just(""), st.text("abcXYZ019-_.~", min_size=1025, max_size=2500)))
@profile(15)
async def test_missing_or_bad_state_comes_back_without_state(http, rp, value):
    params = rp.authorize_params(state=value or None)
    response = await get_raw(http, urlencode(params).encode())
    base, got = location_parts(response)
    assert base == rp.redirect_uri and got["error"] == ["invalid_request"] and "state" not in got


# --- open redirect --------------------------------------------------------------------------

def redirect_variants(uri: str):
    scheme, rest = uri.split("://", 1)
    host, path = rest.split("/", 1)
    return st.one_of(
        st.sampled_from([
            uri + "/", uri + "?", uri + "#", uri + "?x=1", uri + "/../evil", uri.upper(), uri.replace("https", "http"),
            f"{scheme}://{host}:443/{path}", f"{scheme}://{host}.evil.example/{path}", f"{scheme}://evil.example@{host}/{path}",
            f"{scheme}://{host}@evil.example/{path}", f"//{host}/{path}", f"{scheme}://{host}/{path}%2f..", uri[:-1],
            uri + "\u0000"[:0] + " ", " " + uri, uri + "%20", "https://evil.example/callback", "javascript:alert(1)",
            f"{scheme}://{host}\\@evil.example/{path}", uri.replace(".", "%2e"),
        ]),
        st.builds(lambda a, b: a + uri + b, st.text(max_size=5), st.text(max_size=5)).filter(lambda u: u != uri),
        text_values.filter(lambda u: u != uri),
    )


@given(data=st.data())
@profile(50)
async def test_an_unregistered_redirect_uri_is_never_redirected_to(http, services, rp, other_rp, data):
    target = data.draw(st.one_of(redirect_variants(rp.redirect_uri), st.just(other_rp.redirect_uri)))
    extra = data.draw(st.sampled_from([{}, {"response_type": "token"}, {"state": None}, {"scope": "evil"}]))
    params = {**rp.authorize_params(redirect_uri=target), **extra}
    before = await live_keys(services)
    response = await get_raw(http, urlencode({k: v for k, v in params.items() if v is not None}).encode())
    assert_html_error(response)
    assert not await written_since(services, before)


@given(client_id=st.one_of(text_values, st.sampled_from(["x" * 65, "x" * 64])))
@profile(30)
async def test_an_unknown_client_id_gets_the_page_even_with_a_registered_uri(http, rp, client_id):
    assume(client_id != rp.client_id)
    response = await get_raw(http, urlencode(rp.authorize_params(client_id=client_id)).encode())
    assert_html_error(response)


# --- duplicates and sizes -----------------------------------------------------------------

@given(name=st.sampled_from(AUTHORIZE_PARAMS + ["other"]), second=st.one_of(st.none(), text_values))
@profile(40)
async def test_a_duplicated_parameter_is_refused_with_the_page(http, services, rp, name, second):
    params = list(rp.authorize_params().items())
    present = dict(params)
    first = present.get(name, "x")
    if name not in present:
        params.insert(0, (name, first))
    params.append((name, first if second is None else second))
    query = urlencode(params).encode()
    before = await live_keys(services)
    response = await get_raw(http, query)
    assert_html_error(response)
    # A generated value can also make the query too long: then that is refused first.
    assert "Duplicate parameter" in response.text or (len(query) > MAX_QUERY and "too large" in response.text)
    assert not await written_since(services, before)


@given(size=st.integers(4097, 20000), name=st.sampled_from(["state", "nonce", "padding", "claims"]))
@profile(20)
async def test_an_oversized_query_gets_the_page(http, rp, size, name):
    query = urlencode(rp.authorize_params()).encode()
    query += b"&" + name.encode() + b"=" + b"a" * max(0, size - len(query) - len(name) - 2)
    query = query if name not in dict(rp.authorize_params()) else query.replace(f"{name}=".encode(), b"dup_" + name.encode() + b"=", 1)
    assume(len(query) > 4096)
    response = await get_raw(http, query)
    assert_html_error(response)
    assert "too large" in response.text


@given(size=st.integers(16385, 70000))
@profile(10)
async def test_an_oversized_post_gets_the_page(http, rp, size):
    body = urlencode(rp.authorize_params()) + "&padding=" + "a" * size
    http.cookies.clear()
    response = await http.post("/authorize", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert_html_error(response)


@given(
    ctype=st.one_of(
        st.sampled_from(["", "text/plain", "application/json", "multipart/form-data; boundary=x",
                         "application/x-www-form-urlencodedx", "application/x-www-form-urlencoded\x0b"]),
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40),
    ),
    body=st.one_of(st.binary(max_size=200), st.just(b"")),
)
@profile(30)
async def test_post_that_is_not_a_form_gets_the_page(http, rp, ctype, body):
    assume(ctype.split(";")[0] != "application/x-www-form-urlencoded")
    body = body or urlencode(rp.authorize_params()).encode()
    http.cookies.clear()
    response = await http.post("/authorize", content=body, headers={"content-type": ctype} if ctype else {})
    assert_html_error(response)


@given(body=st.binary(max_size=400))
@profile(30)
async def test_post_form_bytes_never_break_authorize(http, rp, body):
    http.cookies.clear()
    response = await http.post("/authorize", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    check_outcome(response, rp, None)


# --- request objects (JAR) ------------------------------------------------------------------

@given(request_object=fake_jwts().filter(bool))
@profile(40)
async def test_garbage_request_objects_are_refused_without_a_journey(http, services, rp, request_object):
    before = await live_keys(services)
    response = await get_raw(http, urlencode(rp.authorize_params(request=request_object)).encode())
    outcome = check_outcome(response, rp, None)
    assert outcome is not None
    assert not await written_since(services, before)


@given(claims=st.dictionaries(
    st.sampled_from(["iss", "client_id", "aud", "exp", "nbf", "redirect_uri", "state", "scope", "response_type",
                     "request", "request_uri", "vtr", "claims", "prompt", "nonce", "max_age", "login_hint",
                     "id_token_hint", "response_mode", "code_challenge", "code_challenge_method"]),
    st.one_of(text_values, st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.booleans(), st.none(),
              st.lists(text_values, max_size=3), st.dictionaries(text_values, text_values, max_size=2)),
    max_size=8,
))
@profile(40)
async def test_signed_request_objects_with_hostile_claims(http, services, settings, rp, claims):
    """Validly signed, but every claim may be wrong: the page, or an error to the registered URI."""
    import time

    body = {"iss": rp.client_id, "client_id": rp.client_id, "aud": settings.endpoint("/authorize"),
            "exp": int(time.time()) + 300, "redirect_uri": rp.redirect_uri, "scope": "openid",
            "response_type": "code", "state": "s", "nonce": "n"}
    body.update(claims)
    query = {"client_id": rp.client_id, "redirect_uri": rp.redirect_uri, "request": rp.request_object(**body)}
    for name in ("scope", "response_type"):
        if isinstance(body.get(name), str) and body[name]:
            query[name] = body[name]
    response = await get_raw(http, urlencode(query).encode())
    # load_request_object turns claims into parameters: scalars by str(), lists and dicts as JSON.
    state = body.get("state")
    sent_state = None if isinstance(state, bool) or state is None else (
        json.dumps(state) if isinstance(state, list | dict) else str(state))
    outcome = check_outcome(response, rp, {"state": sent_state})
    if outcome is None:  # accepted: the claims it relied on must have been sound
        assert body["redirect_uri"] == rp.redirect_uri and body["response_type"] == "code"


# --- deeply nested JSON -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["vtr", "claims"])
@pytest.mark.parametrize("depth", [50, 1100])
async def test_deeply_nested_json_parameters_are_refused_cleanly(http, rp, name, depth):
    params = rp.authorize_params(**{name: "[" * depth})
    response = await get_raw(http, urlencode(params).encode())
    assert response.status_code == 302, (response.status_code, response.exception)
    base, got = location_parts(response)
    assert base == rp.redirect_uri
    if name == "claims":  # claims that cannot be parsed: One Login's parse error, without state
        assert got == {"error": ["invalid_request"], "error_description": ["Invalid Request"]}
    else:
        assert got["error"] == ["invalid_request"] and got["state"] == [params["state"]]


@pytest.mark.parametrize("value", ["١٢", "１２", "1_000", "+5", "1e3", " 5"])
async def test_max_age_must_be_ascii_digits(http, rp, value):
    """A max_age that is not an integer is One Login's parse error without a trusted redirect."""
    params = rp.authorize_params(max_age=value)
    assert_html_error(await get_raw(http, urlencode(params).encode()))


async def test_a_nul_byte_anywhere_is_refused_with_the_page(http, rp):
    for name in ("state", "nonce", "scope", "x"):
        response = await get_raw(http, urlencode({**rp.authorize_params(), name: "a\x00b"}).encode())
        assert_html_error(response)


async def test_a_valid_request_still_begins_a_journey(http, services, rp):
    """The control: the same helpers see a valid request as valid (and it writes session + journey,
    one record: the journey lives in its session's)."""
    before = await live_keys(services)
    response = await get_raw(http, urlencode(rp.authorize_params()).encode())
    assert response.status_code == 302 and response.headers["location"] == JOURNEY_START
    new = await live_keys(services) - before
    assert {k.split(":")[0] for k in new} == {"sess"}
    journey = await services.journeys.load(new.pop().split(":", 1)[1])
    assert journey is not None and journey.state == JOURNEY_START.lstrip("/")


@given(mutation=st.sampled_from([
    {"vtr": '["P2.Cl.Cm"]'}, {"vtr": '["Cl.P2"]'}, {"prompt": "select_account"}, {"prompt": "none login"},
    {"request_uri": "https://evil.example/r"}, {"response_type": "token"}, {"response_type": "code id_token"},
    {"scope": "openid wallet-subject-id"}, {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
    {"code_challenge_method": "S256"}, {"max_age": "-2"},
    {"channel": "ios"}, {"claims": '{"id_token":{}}'}, {"claims": '{"userinfo":{"https://evil":null}}'},
    {"nonce": "n" * 513}, {"prompt": "none"},
]))
@profile(25)
async def test_known_bad_values_get_their_rfc_error(http, rp, mutation):
    params = rp.authorize_params(**mutation)
    response = await get_raw(http, urlencode(params).encode())
    base, got = location_parts(response)
    assert response.status_code == 302 and base == rp.redirect_uri, response.headers.get("location")
    assert got["error"][0] in AUTHORIZE_ERRORS and got["state"] == [params["state"]]
