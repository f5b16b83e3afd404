"""The sign-in pages under hostile form bodies, missing or wrong CSRF tokens and wrong content
types (journeys/pages/common.py): a POST that is not a form, or too large, is 400; a wrong CSRF
token is 403; both are the GOV.UK "session expired" page, and neither moves the journey. A
correct token with hostile fields gets the page again with an error (400) or the next page
(303). Never 5xx, and no accounts are created by signing in."""

from __future__ import annotations

from urllib.parse import urlencode

import uuid

import pytest
from hypothesis import given, strategies as st

from tests.properties.support import profile, text_values, user_count, wire_query
from tests.support.rp import csrf_of, make_citizen, post_page

PAGES = ["/sign-in-or-create", "/enter-email", "/enter-password", "/enter-authenticator-app-code"]
FIELDS = ["csrf_token", "email", "password", "code", "phone", "remember"]


async def start_journey(http, rp):
    """A fresh browser at /sign-in-or-create; returns its CSRF token."""
    http.cookies.clear()
    response = await http.get("/authorize?" + urlencode(rp.authorize_params()))
    assert response.headers["location"] == "/sign-in-or-create"
    return csrf_of((await http.get("/sign-in-or-create")).text)


async def journey_state(services, http):
    session_id = http.cookies.get(services.sessions.cookie_name)
    journey = await services.journeys.load(session_id)
    return journey.state if journey else None


def assert_page(response, statuses):
    assert response.status_code in statuses, (response.status_code, response.text[:200])
    assert "Traceback" not in response.text
    if response.status_code == 303:
        assert response.headers["location"].startswith("/") and not response.headers["location"].startswith("//")
    else:
        assert response.headers["content-type"].startswith("text/html")


@given(page=st.sampled_from(PAGES),
       fields=st.dictionaries(st.sampled_from(FIELDS), text_values, max_size=4),
       csrf=st.sampled_from(["missing", "wrong", "prefix", "unicode"]))
@profile(40)
async def test_a_missing_or_wrong_csrf_token_is_403_and_moves_nothing(http, services, rp, page, fields, csrf):
    token = await start_journey(http, rp)
    fields.pop("csrf_token", None)
    if csrf != "missing":
        fields["csrf_token"] = {"wrong": "x" * len(token), "prefix": token[:-1], "unicode": token[:-1] + "é"}[csrf]
    users = await user_count(services)
    response = await http.post(page, data=fields)
    assert_page(response, {403})
    assert await journey_state(services, http) == "sign-in-or-create"
    assert await user_count(services) == users


@given(page=st.sampled_from(PAGES), ctype=st.sampled_from(
    ["application/json", "text/plain", "multipart/form-data; boundary=x", "", "application/x-www-form-urlencoded-x"]))
@profile(20)
async def test_a_body_that_is_not_a_form_is_400_even_with_the_token(http, services, rp, page, ctype):
    token = await start_journey(http, rp)
    body = urlencode({"csrf_token": token, "email": "a@b.co"})
    response = await http.post(page, content=body, headers={"content-type": ctype} if ctype else {})
    assert_page(response, {400})
    assert await journey_state(services, http) == "sign-in-or-create"


@given(page=st.sampled_from(PAGES), body=st.one_of(
    st.binary(max_size=300), st.just(b"csrf_token=a&csrf_token=b"), st.just(b"a=" + b"x" * 17000),
    st.just(b"csrf_token=%ff%fe"), st.just(b"csrf_token=%00")))
@profile(40)
async def test_hostile_form_bytes_never_break_a_page(http, services, rp, page, body):
    await start_journey(http, rp)
    response = await http.post(page, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert_page(response, {400, 403})
    assert await journey_state(services, http) == "sign-in-or-create"


@given(page=st.sampled_from(PAGES), duplicate=st.sampled_from(["csrf_token", "email", "password"]))
@profile(12)
async def test_duplicated_fields_are_refused(http, services, rp, page, duplicate):
    token = await start_journey(http, rp)
    form = [("csrf_token", token), ("email", "a@b.co"), ("password", "p"), (duplicate, token)]
    response = await http.post(page, content=urlencode(form), headers={"content-type": "application/x-www-form-urlencoded"})
    assert_page(response, {400})
    assert await journey_state(services, http) == "sign-in-or-create"


@given(email=text_values)
@profile(30)
async def test_hostile_email_addresses_get_the_form_again_or_move_on(http, services, rp, email):
    await start_journey(http, rp)
    await post_page(http, "/sign-in-or-create")
    users = await user_count(services)
    response = await post_page(http, "/enter-email", email=email)
    assert_page(response, {303, 400})
    if response.status_code == 400:
        assert await journey_state(services, http) == "enter-email"
    else:
        assert response.headers["location"] in ("/enter-password", "/account-locked")
    assert await user_count(services) == users


@given(password=st.one_of(text_values, st.just("p" * 300)))
@profile(12)
async def test_hostile_passwords_never_sign_anyone_in(http, services, rp, citizen, password):
    await start_journey(http, rp)
    await post_page(http, "/sign-in-or-create")
    # A fresh unknown address each time, so the password lockout for one address is not reached.
    await post_page(http, "/enter-email", email=f"nobody-{uuid.uuid4().hex}@example.com")
    response = await post_page(http, "/enter-password", password=password)
    assert_page(response, {303, 400})
    if response.status_code == 303:
        assert response.headers["location"] == "/account-locked"
    assert await journey_state(services, http) in ("enter-password", "account-locked")
    assert (await http.get("/auth-code")).status_code == 303  # not reached: sent back to the journey


@pytest.fixture(scope="module")
async def code_citizen(services):
    return await make_citizen(services)


@given(code=st.one_of(text_values, st.text("0123456789 ", min_size=6, max_size=8)))
@profile(12)
async def test_hostile_security_codes_never_complete_the_journey(http, services, rp, code_citizen, code):
    if code.replace(" ", "") == code_citizen.code():
        return
    await start_journey(http, rp)
    await post_page(http, "/sign-in-or-create")
    await post_page(http, "/enter-email", email=code_citizen.email)
    assert (await post_page(http, "/enter-password", password=code_citizen.password)).headers["location"] == \
        "/enter-authenticator-app-code"
    response = await post_page(http, "/enter-authenticator-app-code", code=code)
    assert_page(response, {303, 400})
    if response.status_code == 303:
        assert response.headers["location"] == "/security-code-invalid"
    assert (await http.get("/auth-code")).status_code == 303


@given(query=wire_query, method=st.sampled_from(["GET", "POST", "PUT"]), cookie=st.sampled_from(
    [None, "", "x", "a" * 65, "a" * 64, "%00", "gs=; gs=x"]))
@profile(40)
async def test_auth_code_without_a_finished_journey_never_issues_a_code(app, rp, query, method, cookie):
    from tests.properties.support import raw_request

    headers = [(b"cookie", f"gs={cookie}".encode())] if cookie is not None else []
    response = await raw_request(app, method, "/auth-code", query=query, headers=headers)
    assert response.exception is None, repr(response.exception)
    assert response.status_code in (200, 405), response.status_code
    assert "location" not in response.headers


@pytest.mark.parametrize("page", PAGES + ["/auth-code"])
async def test_a_hostile_session_cookie_gets_the_expired_page(app, page):
    from tests.properties.support import raw_request

    response = await raw_request(app, "GET", page, headers=[(b"cookie", b'gs="\\000x"')])
    assert response.status_code == 200, (response.status_code, response.exception)
