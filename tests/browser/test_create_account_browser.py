"""Creating an account in Chromium against a live provider, once with each second factor (text
message, authenticator app, passkey through Chromium's virtual authenticator), each ending with
the service receiving a code; then the new account signs in again. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest

from tests.support.browser import catch_redirect

pytestmark = pytest.mark.browser
PASSWORD = "create-account-walk-42"


@pytest.fixture(scope="module")
def registered(live_server, tmp_path_factory):
    from joserfc.jwk import ECKey

    pem = tmp_path_factory.mktemp("create") / "key.pem"
    pem.write_bytes(ECKey.generate_key("P-256").as_pem(private=False))
    redirect = "http://localhost:9/create-callback"
    client = live_server.cli("services", "add", "--name", "Create account test service",
                             "--redirect-uri", redirect, "--public-key", str(pem))
    return client["client_id"], redirect


def last_message(live_server, to: str) -> dict:
    return live_server.last_message(to)


async def authorize(page, live_server, registered) -> tuple[asyncio.Future, str]:
    client_id, redirect = registered
    state = secrets.token_urlsafe(8)
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "scope": "openid email",
              "state": state, "nonce": secrets.token_urlsafe(8), "vtr": '["Cl.Cm"]'}
    redirected = await catch_redirect(page, redirect)
    await page.goto(f"{live_server.url}/authorize?{urlencode(params)}")
    return redirected, state


async def got_code(redirected: asyncio.Future, state: str, page=None) -> str:
    url = await asyncio.wait_for(redirected, 15)
    if page is not None:  # let the navigation to the service finish before the next one
        await page.wait_for_url(lambda u: u.startswith(url.split("?")[0]))
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == [state] and query.get("code"), query
    return query["code"][0]


async def create_until_security_codes(page, live_server, registered, email):
    redirected, state = await authorize(page, live_server, registered)
    cont = page.get_by_role("button", name="Continue", exact=True)
    await page.get_by_role("button", name="Create an account").click()
    await page.get_by_label("Email address").fill(email)
    await cont.click()
    await page.wait_for_url("**/check-your-email")
    await page.get_by_label("Enter the 6 digit security code").fill(last_message(live_server, email)["personalisation"]["code"])
    await cont.click()
    await page.wait_for_url("**/create-password")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_label("Confirm your password").fill(PASSWORD)
    await cont.click()
    await page.wait_for_url("**/get-security-codes")
    return redirected, state


async def finish_creation(page, redirected, state):
    await page.wait_for_url("**/account-created")
    assert await page.get_by_role("heading", name=re.compile("created your account")).count() >= 1
    await page.get_by_role("button", name="Continue", exact=True).click()
    return await got_code(redirected, state, page)


async def sign_in_again(page, context, live_server, registered, email):
    await context.clear_cookies()
    redirected, state = await authorize(page, live_server, registered)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_label("Email address").fill(email)
    await page.get_by_role("button", name="Continue", exact=True).click()
    return redirected, state


async def test_create_an_account_with_text_messages(live_server, registered, context, page):
    email, phone = f"create-sms-{secrets.token_hex(5)}@example.com", f"+4474001{secrets.randbelow(10**5):05d}"
    redirected, state = await create_until_security_codes(page, live_server, registered, email)
    await page.get_by_label("Text message").check()
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/enter-phone-number")
    await page.get_by_label("Mobile phone number").fill(phone)
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/check-your-phone")
    await page.get_by_label("Enter the 6 digit security code").fill(last_message(live_server, phone)["personalisation"]["code"])
    await page.get_by_role("button", name="Continue", exact=True).click()
    assert await finish_creation(page, redirected, state)

    redirected, state = await sign_in_again(page, context, live_server, registered, email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/enter-code")
    message = last_message(live_server, phone)
    assert message["template"] == "sms-code-sign-in"
    await page.get_by_label("Enter the 6 digit security code").fill(message["personalisation"]["code"])
    await page.get_by_role("button", name="Continue", exact=True).click()
    assert await got_code(redirected, state)


async def test_create_an_account_with_an_authenticator_app(live_server, registered, context, page):
    email = f"create-app-{secrets.token_hex(5)}@example.com"
    redirected, state = await create_until_security_codes(page, live_server, registered, email)
    await page.get_by_label("Authenticator app for smartphone, tablet or computer").check()
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/setup-authenticator-app")
    assert await page.locator("svg").count() >= 1  # the QR code, inline
    secret = (await page.locator("#secret-key").inner_text()).replace(" ", "")
    totp = pyotp.TOTP(secret)
    if totp.interval - time.time() % totp.interval < 3:
        await asyncio.sleep(3.5)
    await page.get_by_label("Enter the 6 digit security code shown in your authenticator app").fill(totp.now())
    await page.get_by_role("button", name="Continue", exact=True).click()
    assert await finish_creation(page, redirected, state)

    redirected, state = await sign_in_again(page, context, live_server, registered, email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/enter-authenticator-app-code")
    # The code used at set-up cannot be replayed: use the next time step's (within the window).
    await page.get_by_label(re.compile("[Ss]ecurity code")).first.fill(totp.at(time.time() + 30))
    await page.get_by_role("button", name="Continue", exact=True).click()
    assert await got_code(redirected, state)


async def test_create_an_account_with_a_passkey(live_server, registered, context, page):
    email = f"create-passkey-{secrets.token_hex(5)}@example.com"
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
    }})
    redirected, state = await create_until_security_codes(page, live_server, registered, email)
    passkey = page.get_by_label("Passkey", exact=True)
    await passkey.check()  # offered (first) because the browser has WebAuthn
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/create-passkey")
    await page.get_by_role("button", name="Create a passkey").click()
    assert await finish_creation(page, redirected, state)
    stored = await cdp.send("WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]})
    assert len(stored["credentials"]) == 1 and stored["credentials"][0]["rpId"] == "localhost"

    # Sign in again with the passkey, offered on the email page before any email: the passkey
    # made at creation is discoverable and names the account, so no email, password or code.
    # Nothing is clicked: Chromium's virtual authenticator answers the page's conditional request
    # as if the passkey had been picked from the email field's autofill.
    await context.clear_cookies()
    redirected, state = await authorize(page, live_server, registered)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    assert await got_code(redirected, state)


async def test_an_unfinished_account_creation_never_lends_its_second_factor(live_server, registered, context, page):
    """The security review's browser-only reproduction: create an account with your own mailbox
    and an authenticator app, stop on "You've created your account", open /sign-in-or-create and
    sign in with a victim's email and password. The victim's own second factor is asked for, and
    no code reaches the service."""
    victim = f"victim-{secrets.token_hex(5)}@example.com"
    live_server.cli("accounts", "add", "--email", victim, "--password", PASSWORD, "--totp-secret", pyotp.random_base32())
    mine = f"attacker-{secrets.token_hex(5)}@example.com"
    redirected, _state = await create_until_security_codes(page, live_server, registered, mine)
    await page.get_by_label("Authenticator app for smartphone, tablet or computer").check()
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/setup-authenticator-app")
    totp = pyotp.TOTP((await page.locator("#secret-key").inner_text()).replace(" ", ""))
    if totp.interval - time.time() % totp.interval < 3:
        await asyncio.sleep(3.5)
    await page.get_by_label("Enter the 6 digit security code shown in your authenticator app").fill(totp.now())
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/account-created")  # don't press Continue

    await page.goto(f"{live_server.url}/sign-in-or-create")
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.wait_for_url("**/enter-email")
    await page.get_by_label("Email address").fill(victim)
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/enter-password")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Continue", exact=True).click()
    await page.wait_for_url("**/enter-authenticator-app-code")
    await page.goto(f"{live_server.url}/auth-code")  # straight to the code: sent back to the factor
    await page.wait_for_url("**/enter-authenticator-app-code")
    assert not redirected.done()
