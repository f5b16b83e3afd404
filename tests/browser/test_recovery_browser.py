"""Recovery journeys in Chromium against a live provider: passkey sign-in on the email page (virtual
authenticator, discoverable credential),
password reset end to end, a lost second factor with a recovery code, and a lockout that lifts
when its block ends. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

import cbor2
import pyotp
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.support.browser import catch_redirect, totp_now, without_passkey_autofill

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password-1"


@pytest.fixture(scope="module")
def registered(live_server, tmp_path_factory):
    from joserfc.jwk import ECKey

    pem = tmp_path_factory.mktemp("recovery") / "key.pem"
    pem.write_bytes(ECKey.generate_key("P-256").as_pem(private=False))
    redirect = "http://localhost:9/callback"
    client = live_server.cli("services", "add", "--name", "Recovery test service",
                             "--redirect-uri", redirect, "--public-key", str(pem))
    return client["client_id"], redirect


def authorize_url(live_server, client_id, redirect):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "scope": "openid email",
              "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8), "vtr": '["Cl.Cm"]'}
    return f"{live_server.url}/authorize?{urlencode(params)}"


def new_account(live_server) -> tuple[str, str]:
    secret = pyotp.random_base32()
    email = f"recovery-{secrets.token_hex(5)}@example.com"
    live_server.cli("accounts", "add", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, secret


def last_code(live_server, to: str) -> str:
    return live_server.last_message(to)["personalisation"]["code"]


async def start(page, live_server, registered, email):
    client_id, redirect = registered
    redirected = await catch_redirect(page, redirect)
    await page.goto(authorize_url(live_server, client_id, redirect))
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.get_by_label("Email address", exact=True).fill(email)
    await page.get_by_role("button", name="Continue", exact=True).click()
    return redirected


async def cont(page):
    await page.get_by_role("button", name="Continue", exact=True).click()


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


async def add_passkey(services, context, page, email, on_account: bool = True) -> None:
    """A discoverable credential for `email`'s account in Chromium's virtual authenticator (a
    resident key with user verification), and on the account unless `on_account` is false."""
    from govsignin.accounts.models import Passkey

    user = await services.accounts.by_email(email)
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
    credential_id, handle = secrets.token_bytes(16), secrets.token_bytes(32)
    if on_account:
        async with services.sessionmaker() as db, db.begin():
            db.add(Passkey(user_id=user.id, credential_id=b64url(credential_id), public_key=cose, sign_count=0,
                           transports="internal", user_handle=b64url(handle), aaguid="", backed_up=False, name="test"))
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    added = await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    pkcs8 = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    await cdp.send("WebAuthn.addCredential", {"authenticatorId": added["authenticatorId"], "credential": {
        "credentialId": base64.b64encode(credential_id).decode(), "isResidentCredential": True, "rpId": "localhost",
        "privateKey": base64.b64encode(pkcs8).decode(), "userHandle": base64.b64encode(handle).decode(), "signCount": 0}})


async def passkey_sign_in(page, live_server, registered) -> asyncio.Future:
    """Up to the email page, where the passkey is offered before any email."""
    client_id, redirect = registered
    redirected = await catch_redirect(page, redirect)
    await page.goto(authorize_url(live_server, client_id, redirect))
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await page.wait_for_url("**/enter-email")
    return redirected


async def test_sign_in_with_a_passkey_button_before_giving_an_email(live_server, registered, services, context, page):
    # A browser without conditional UI: the "Sign in with a passkey" button, a modal request. The
    # discoverable credential names the account: no email, password or code.
    await without_passkey_autofill(context)
    email, _secret = new_account(live_server)
    await add_passkey(services, context, page, email)
    redirected = await passkey_sign_in(page, live_server, registered)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    url = await asyncio.wait_for(redirected, 15)
    assert "code" in parse_qs(urlsplit(url).query)


async def test_sign_in_with_a_passkey_from_the_email_fields_autofill(live_server, registered, services, context, page):
    # Conditional UI: the email page's conditional request, which Chromium's virtual
    # authenticator answers as if the passkey had been picked from the email field's autofill.
    email, _secret = new_account(live_server)
    await add_passkey(services, context, page, email)
    redirected = await passkey_sign_in(page, live_server, registered)
    url = await asyncio.wait_for(redirected, 15)  # nothing clicked: the conditional request answered
    assert "code" in parse_qs(urlsplit(url).query)


async def test_a_passkey_on_no_account_gets_an_error_summary(live_server, registered, services, context, page):
    # A passkey for this site that is on no account (removed, or its account deleted).
    await without_passkey_autofill(context)
    email, _secret = new_account(live_server)
    await add_passkey(services, context, page, email, on_account=False)
    await passkey_sign_in(page, live_server, registered)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    summary = page.locator(".govuk-error-summary")
    await summary.wait_for()
    assert "We could not sign you in with your passkey" in await summary.inner_text()
    assert page.url.endswith("/enter-email")
    await page.locator("#passkey-sign-in:not([hidden])").wait_for()  # offered again, and the link's target
    await summary.get_by_role("link").click()
    assert await page.evaluate("document.activeElement.id") == "passkey-button"


async def test_an_email_leads_to_the_password_page_with_or_without_a_passkey(live_server, registered, services, context, page):
    # A WebAuthn-capable browser holding the account's passkey: typing the email still leads to
    # the ordinary password page, as it does for an account without a passkey or no account.
    await without_passkey_autofill(context)
    with_passkey, _ = new_account(live_server)
    await add_passkey(services, context, page, with_passkey)
    without, _ = new_account(live_server)
    for email in (with_passkey, without, f"nobody-{secrets.token_hex(5)}@example.com"):
        await start(page, live_server, registered, email)
        await page.wait_for_url("**/enter-password")
        assert "passkey" not in (await page.locator("main").inner_text()).lower()


async def test_password_reset_end_to_end(live_server, registered, page):
    email, secret = new_account(live_server)
    redirected = await start(page, live_server, registered, email)
    await page.get_by_role("link", name="I’ve forgotten my password").click()
    await page.wait_for_url("**/reset-password-request")
    await cont(page)
    await page.wait_for_url("**/reset-password-check-email")
    await page.get_by_label("Enter the 6 digit security code").fill(last_code(live_server, email))
    await cont(page)
    await page.wait_for_url("**/reset-password-2fa-auth-app")
    await page.get_by_label("Security code", exact=True).fill(await totp_now(secret))
    await cont(page)
    await page.wait_for_url("**/reset-password")
    await page.get_by_label("Enter your new password").fill("short")
    await page.get_by_label("Re-type your new password").fill("short")
    await cont(page)
    await page.wait_for_selector(".govuk-error-summary")
    await page.get_by_label("Enter your new password").fill("a-new-password-2026")
    await page.get_by_label("Re-type your new password").fill("a-new-password-2026")
    await cont(page)
    url = await asyncio.wait_for(redirected, 15)
    assert "code" in parse_qs(urlsplit(url).query)


async def test_lost_factor_with_a_recovery_code(live_server, registered, services, page):
    from govsignin.accounts.recovery_codes import generate_recovery_codes

    email, _secret = new_account(live_server)
    user = await services.accounts.by_email(email)
    codes = await generate_recovery_codes(services, user.id)
    redirected = await start(page, live_server, registered, email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await cont(page)
    await page.get_by_role("link", name="Problem with the code? Use another way to get a security code").click()
    await page.get_by_role("link", name="I do not have access to any of these").click()
    await page.get_by_label("Use a recovery code now").check()
    await cont(page)
    await page.get_by_label("Recovery code", exact=True).fill(codes[0])
    await cont(page)
    await page.wait_for_url("**/change-security-codes")
    new_secret = await page.locator("#secret-key").inner_text()
    await page.get_by_label("Security code", exact=True).fill(await totp_now(new_secret))
    await cont(page)
    await page.wait_for_url("**/change-codes-confirmed")
    assert await page.locator("#recovery-codes li").count() == 10
    await cont(page)
    url = await asyncio.wait_for(redirected, 15)
    assert "code" in parse_qs(urlsplit(url).query)


async def test_reset_request_lockout_then_unlock_after_the_block(live_server, registered, services, page):
    email, _secret = new_account(live_server)
    await start(page, live_server, registered, email)
    await page.get_by_role("link", name="I’ve forgotten my password").click()
    await cont(page)
    await page.wait_for_url("**/reset-password-check-email")
    for _ in range(5):
        await page.get_by_role("button", name="Send the code again").click()
        await page.wait_for_selector("text=We sent you a new code")
    await page.get_by_role("button", name="Send the code again").click()
    await page.wait_for_url("**/reset-password-requested-too-many-times")
    assert "You tried to reset your password too many times" in await page.locator("h1").inner_text()

    # Fifteen minutes later: the block's key expires in the shared store. Requests count per
    # journey (this browser session's), never per address (pages/recovery.py).
    cookie = next(c for c in await page.context.cookies() if c["name"] == services.sessions.cookie_name)
    await services.lockouts.clear("reset_request", f"journey:{cookie['value']}")
    redirected = await start(page, live_server, registered, email)
    await page.get_by_role("link", name="I’ve forgotten my password").click()
    await cont(page)
    await page.wait_for_url("**/reset-password-check-email")
    assert re.fullmatch(r"\d{6}", last_code(live_server, email))
    assert not redirected.done()


async def test_password_reset_of_a_passkey_only_account_asks_for_the_passkey(live_server, registered, services, context, page):
    # passkey.js's navigator.credentials.get on /reset-password-passkey, answered by Chromium's
    # virtual authenticator: the account's passkey is its second factor in the reset.
    from govsignin.accounts.models import MfaMethod

    await without_passkey_autofill(context)
    email = f"recovery-{secrets.token_hex(5)}@example.com"
    live_server.cli("accounts", "add", "--email", email, "--password", PASSWORD)
    await add_passkey(services, context, page, email)
    user = await services.accounts.by_email(email)
    async with services.sessionmaker() as db, db.begin():
        db.add(MfaMethod(user_id=user.id, kind="passkey", priority="default"))
    redirected = await start(page, live_server, registered, email)
    await page.get_by_role("link", name="I’ve forgotten my password").click()
    await page.wait_for_url("**/reset-password-request")
    await cont(page)
    await page.wait_for_url("**/reset-password-check-email")
    await page.get_by_label("Enter the 6 digit security code").fill(last_code(live_server, email))
    await cont(page)
    await page.wait_for_url("**/reset-password-passkey")
    await page.get_by_role("button", name="Use your passkey").click()
    await page.wait_for_url("**/reset-password")
    await page.get_by_label("Enter your new password").fill("a-new-password-2026")
    await page.get_by_label("Re-type your new password").fill("a-new-password-2026")
    await cont(page)
    url = await asyncio.wait_for(redirected, 15)
    assert "code" in parse_qs(urlsplit(url).query)
