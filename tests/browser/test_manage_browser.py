"""The account pages in Chromium against a live provider: every page walked, sign out of all
devices (another browser loses its session, a service gets its back-channel logout), and account
deletion (the service is told; signing in again fails). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from playwright.async_api import expect

from tests.protocol.test_logout import Receiver
from tests.support.browser import catch_redirect, new_context, totp_now

pytestmark = pytest.mark.browser
PASSWORD = "a-long-test-password-3"


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def registered(live_server, receiver, tmp_path_factory):
    from joserfc.jwk import ECKey

    pem = tmp_path_factory.mktemp("manage") / "key.pem"
    pem.write_bytes(ECKey.generate_key("P-256").as_pem(private=False))
    redirect = "http://localhost:9/manage-callback"
    client = live_server.cli("services", "add", "--name", "Account test service", "--redirect-uri", redirect,
                             "--public-key", str(pem), "--backchannel-logout-uri", receiver.uri)
    return client["client_id"], redirect


def new_account(live_server) -> tuple[str, str]:
    secret = pyotp.random_base32()
    email = f"manage-{secrets.token_hex(5)}@example.com"
    live_server.cli("accounts", "add", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, secret


def last_message(live_server, to: str) -> dict:
    return live_server.last_message(to)


def authorize_url(live_server, client_id, redirect, **extra):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "scope": "openid email",
              "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8), "vtr": '["Cl.Cm"]', **extra}
    return f"{live_server.url}/authorize?{urlencode(params)}"


async def button(page, name):
    await page.get_by_role("button", name=name, exact=True).click()


async def sign_in(page, email, secret, next_step=False):
    """The sign-in pages; next_step types the next 30-second code (the current one may be used)."""
    await button(page, "Sign in")
    await page.get_by_label("Email address", exact=True).fill(email)
    await button(page, "Continue")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await button(page, "Continue")
    code = pyotp.TOTP(secret).at(time.time() + 30) if next_step else await totp_now(secret)
    await page.get_by_label("Security code", exact=True).fill(code)
    await button(page, "Continue")


async def sign_in_to_service(page, live_server, registered, email, secret, next_step=False):
    client_id, redirect = registered
    redirected = await catch_redirect(page, redirect)
    await page.goto(authorize_url(live_server, client_id, redirect))
    await sign_in(page, email, secret, next_step)
    url = await asyncio.wait_for(redirected, 15)
    assert "code" in parse_qs(urlsplit(url).query), url
    await page.wait_for_url(re.compile(re.escape(redirect)))


async def wait_for_tokens(receiver, count, seconds=15):
    deadline = time.monotonic() + seconds
    while len(receiver.tokens) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    return len(receiver.tokens)


async def test_walk_every_account_page(live_server, registered, page):
    email, secret = new_account(live_server)
    await sign_in_to_service(page, live_server, registered, email, secret)
    await page.goto(f"{live_server.url}/account")  # already signed in at Cl.Cm: straight in
    await expect(page.locator("h1").first).to_have_text("Your GOV.UK account")
    assert "Account test service" in await page.locator("#your-services").inner_text()

    # Security: change the password, behind the password re-prompt.
    await page.get_by_role("link", name="Change your sign-in details and security").click()
    await expect(page.locator("h1").first).to_have_text("Security")
    await page.get_by_role("link", name="Change password").click()
    await expect(page.locator("h1").first).to_have_text("Enter your password")
    await button(page, "Continue")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your password")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await button(page, "Continue")
    await expect(page.locator("h1").first).to_have_text("Enter your new password")
    await page.get_by_label("New password", exact=True).fill("another-password-88")
    await page.get_by_label("Confirm new password", exact=True).fill("another-password-88")
    await button(page, "Continue")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have changed your password")

    # Change the email address: a code goes to the new address.
    new_email = "new-" + email
    await page.get_by_role("link", name="Change email address").click()
    await page.get_by_label("New email address", exact=True).fill(new_email)
    await button(page, "Continue")
    await expect(page.locator("h1").first).to_have_text("Check your email")
    await page.get_by_label("Enter the 6 digit security code", exact=True).fill(
        last_message(live_server, new_email)["personalisation"]["code"])
    await button(page, "Continue")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have changed your email address")

    # Change the phone number: a code by text message.
    await page.get_by_role("link", name="Change phone number").first.click()
    await page.get_by_label("Mobile phone number", exact=True).fill("07911 123457")
    await button(page, "Continue")
    await expect(page.locator("h1").first).to_have_text("Check your phone")
    await page.get_by_label("Enter the 6 digit security code", exact=True).fill(
        last_message(live_server, "+447911123457")["personalisation"]["code"])
    await button(page, "Continue")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have changed your phone number")

    # A new authenticator app: a QR code and a secret key, confirmed with a code.
    await page.get_by_role("link", name="Change authenticator app").click()
    await page.locator("img[alt='QR code for your authenticator app']").wait_for()
    new_secret = (await page.locator("#secret-key").inner_text()).replace(" ", "")
    await page.get_by_label("Security code", exact=True).fill("123")
    await button(page, "Continue")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("only 6 digits")
    await page.get_by_label("Security code", exact=True).fill(await totp_now(new_secret))
    await button(page, "Continue")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have changed your authenticator app")

    # Recovery codes.
    await page.get_by_role("link", name="Get new recovery codes").click()
    await button(page, "Get new recovery codes")
    await page.locator("#recovery-codes li").first.wait_for()
    assert await page.locator("#recovery-codes li").count() == 10
    await page.get_by_role("link", name="I have saved my recovery codes").click()
    await page.get_by_text("10 unused recovery codes").wait_for()

    # Activity history, and reporting an event.
    await page.goto(f"{live_server.url}/account")
    await page.get_by_role("link", name="Check your account activity").click()
    await expect(page.locator("h1").first).to_have_text("Your account activity")
    text = await page.locator("#activity").inner_text()
    assert "You changed your password" in text and "You signed in" in text
    assert text.index("You changed your authenticator app") < text.index("You changed your password")
    await page.locator("#activity a").first.click()
    await button(page, "Report activity")
    number = (await page.locator("#report-number").inner_text()).strip()
    assert re.fullmatch(r"GS-[A-Z0-9]{8}", number)
    assert last_message(live_server, new_email)["personalisation"]["report_number"] == number

    # Welsh.
    await page.goto(f"{live_server.url}/account?lng=cy")
    assert await page.locator("html").get_attribute("lang") == "cy"


async def test_sign_out_of_all_devices(live_server, registered, receiver, browser, page):
    email, secret = new_account(live_server)
    client_id, redirect = registered
    before = len(receiver.tokens)
    await sign_in_to_service(page, live_server, registered, email, secret)  # device 1: a service
    async with new_context(browser) as other:  # device 2: the account pages
        second = await other.new_page()
        await second.goto(f"{live_server.url}/account")
        await sign_in(second, email, secret, next_step=True)
        await expect(second.locator("h1").first).to_have_text("Your GOV.UK account")
        await second.get_by_role("link", name="Sign out of all devices").click()
        await button(second, "Sign out of all devices")
        await expect(second.locator("h1").first).to_have_text("You have signed out of all devices")
        await second.goto(f"{live_server.url}/account")
        await expect(second).to_have_url(re.compile(r"/sign-in-or-create$"))
    # Device 1 has lost its session too: a silent request gets login_required.
    # (Asked with the context's own cookies, without following the redirect to the service.)
    response = await page.context.request.get(authorize_url(live_server, client_id, redirect, prompt="none"),
                                              max_redirects=0)
    assert response.status == 302 and "error=login_required" in response.headers["location"]
    assert await wait_for_tokens(receiver, before + 1) == before + 1


async def test_delete_account(live_server, registered, receiver, page):
    email, secret = new_account(live_server)
    before = len(receiver.tokens)
    await sign_in_to_service(page, live_server, registered, email, secret)
    await page.goto(f"{live_server.url}/account")
    await page.get_by_role("link", name="Delete your GOV.UK account").click()
    await page.get_by_label("Enter your password to confirm", exact=True).fill("not-the-password-1")
    await button(page, "Delete your GOV.UK account")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("not correct")
    await page.get_by_label("Enter your password to confirm", exact=True).fill(PASSWORD)
    await button(page, "Delete your GOV.UK account")
    await expect(page.locator("h1").first).to_have_text("You have deleted your GOV.UK account")
    assert await wait_for_tokens(receiver, before + 1) == before + 1
    assert last_message(live_server, email)["template"] == "account-deleted"
    # Signing in again fails like any unknown account.
    await page.goto(f"{live_server.url}/account")
    await button(page, "Sign in")
    await page.get_by_label("Email address", exact=True).fill(email)
    await button(page, "Continue")
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await button(page, "Continue")
    await expect(page.locator(".govuk-error-summary")).to_contain_text("Incorrect email address or password")


async def test_add_and_remove_a_passkey(live_server, context, page):
    email, secret = new_account(live_server)
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    await page.goto(f"{live_server.url}/account/security")
    await sign_in(page, email, secret)
    await expect(page.locator("h1").first).to_have_text("Security")
    await page.get_by_role("link", name="Add a passkey").click()
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await button(page, "Continue")
    await expect(page.locator("h1").first).to_have_text("Add a passkey")
    await button(page, "Create a passkey")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have added a passkey")
    await page.get_by_role("link", name=re.compile("^Remove")).last.click()
    await button(page, "Remove passkey")
    await expect(page.locator(".govuk-notification-banner")).to_contain_text("You have removed a passkey")
    await expect(page.get_by_text("You have not added a passkey.")).to_be_visible()
