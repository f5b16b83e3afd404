"""GET /logout ends a signed-in session at once only when its id_token_hint names that session's
account; otherwise the citizen confirms on a page first (OpenID RP-Initiated Logout 1.0 §2)."""

import html
import re
from urllib.parse import urlencode

from tests.support.rp import TestRP, code_for, make_citizen, redirect_params

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


async def signed_in(client, services):
    rp = await TestRP.create(services)
    citizen = await make_citizen(services)
    code, _ = await code_for(client, rp, citizen)
    return rp, (await rp.token(client, code)).json()["id_token"]


async def still_signed_in(client, rp) -> bool:
    response = await client.get("/authorize?" + urlencode(rp.authorize_params(prompt="none")))
    return "code" in redirect_params(response)


def form_of(page) -> dict:
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page.text)}


async def test_logout_without_a_hint_asks_before_signing_out(client, services):
    rp, _ = await signed_in(client, services)
    page = await client.get("/logout?state=abc")
    assert page.status_code == 200 and 'action="/logout"' in page.text and "csrf_token" in form_of(page)
    assert await still_signed_in(client, rp)

    response = await client.post("/logout", data=form_of(page))
    assert response.status_code == 302 and response.headers["location"] == "/signed-out?state=abc"
    assert not await still_signed_in(client, rp)


async def test_logout_with_another_accounts_hint_asks_before_signing_out(client, services):
    rp, _ = await signed_in(client, services)
    other_browser = type(client)(transport=client._transport, base_url=client.base_url)
    async with other_browser:
        _, someone_elses_hint = await signed_in(other_browser, services)
    page = await client.get("/logout?" + urlencode({"id_token_hint": someone_elses_hint}))
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert await still_signed_in(client, rp)


async def test_logout_with_the_sessions_own_hint_signs_out_at_once(client, services):
    rp, hint = await signed_in(client, services)
    response = await client.get("/logout?" + urlencode({"id_token_hint": hint}))
    assert response.status_code == 302 and response.headers["location"] == "/signed-out"
    assert not await still_signed_in(client, rp)


async def test_the_confirmation_needs_the_sessions_csrf_token(client, services):
    rp, _ = await signed_in(client, services)
    page = await client.get("/logout")
    forged = {**form_of(page), "csrf_token": "forged"}
    response = await client.post("/logout", data=forged)
    assert response.status_code == 400 and "location" not in response.headers
    assert await still_signed_in(client, rp)


async def test_the_confirmation_page_is_in_welsh(client, services):
    await signed_in(client, services)
    page = await client.get("/logout", cookies={"lng": "cy"})
    assert "Ydych chi eisiau allgofnodi?" in page.text


async def test_confirming_after_the_session_ended_goes_to_the_signed_out_page(client, services):
    await signed_in(client, services)
    page = await client.get("/logout?state=abc")
    client.cookies.clear()  # the session ended meanwhile (idle timeout, another tab)
    response = await client.post("/logout", data=form_of(page))
    assert response.status_code == 302 and response.headers["location"] == "/signed-out?state=abc"


async def test_a_malformed_logout_request_asks_before_signing_out(client, services):
    rp, _ = await signed_in(client, services)
    page = await client.get("/logout?state=a&state=b")  # duplicated: cannot be parsed
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert await still_signed_in(client, rp)
