"""Every sign-in page, in English and in Welsh, passes axe (no serious or critical violations),
reflows at 320 px, and its main action is reachable by keyboard."""

import re
import secrets
from urllib.parse import urlencode

import pyotp
import pytest

from tests.support.a11y import check_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def registered(live_server, tmp_path_factory):
    from joserfc.jwk import ECKey

    pem = tmp_path_factory.mktemp("a11y") / "key.pem"
    pem.write_bytes(ECKey.generate_key("P-256").as_pem(private=False))
    redirect = "http://localhost:9/callback"
    client = live_server.cli("services", "add", "--name", "Check your State Pension",
                             "--redirect-uri", redirect, "--public-key", str(pem))
    return client["client_id"], redirect


def authorize_url(live_server, client_id, redirect, lang):
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect,
              "scope": "openid email", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
              "vtr": '["Cl.Cm"]', "ui_locales": lang}
    return f"{live_server.url}/authorize?{urlencode(params)}"


@pytest.mark.parametrize("lang", ["en", "cy"])
async def test_sign_in_pages_are_accessible(live_server, registered, page, lang):
    client_id, redirect = registered
    secret = pyotp.random_base32()
    email = f"a11y-{secrets.token_hex(4)}@example.com"
    live_server.cli("accounts", "add", "--email", email, "--password", "a-long-test-password-1", "--totp-secret", secret)
    await page.route(redirect + "*", lambda route: route.fulfill(status=200, body="ok"))

    await page.goto(authorize_url(live_server, client_id, redirect, lang))
    assert await page.get_attribute("html", "lang") == lang
    await check_page(page)  # sign-in-or-create
    async with page.expect_navigation():
        await page.get_by_role("button", name=re.compile(r"^(Sign in|Mewngofnodi)$")).click()

    await check_page(page)  # enter-email
    await page.locator("#email").fill(email)
    async with page.expect_navigation():
        await page.locator("main button[type=submit]").first.click()
    await check_page(page)  # enter-password

    await page.locator("main button[type=submit]").first.click()  # empty: the error summary
    await page.wait_for_selector(".govuk-error-summary")
    # GOV.UK Frontend moves focus to the summary when its module script runs, which is after the
    # page is parsed (module scripts are deferred): wait for it, and fail if it never happens.
    await page.wait_for_function(
        "() => document.activeElement && document.activeElement.closest('.govuk-error-summary') !== null",
        timeout=5000,
    )
    await check_page(page)  # enter-password with errors

    await page.locator("#password").fill("a-long-test-password-1")
    async with page.expect_navigation():
        await page.locator("main button[type=submit]").first.click()
    await check_page(page)  # enter-authenticator-app-code
    await page.locator("#code").fill(pyotp.TOTP(secret).now())
    async with page.expect_request(lambda r: r.url.startswith(redirect)):
        await page.locator("main button[type=submit]").first.click()


@pytest.mark.parametrize("path", ["/", "/signed-out", "/enter-email", "/no-such-page"])
async def test_other_pages_are_accessible(live_server, page, path):
    await page.goto(live_server.url + path)
    await check_page(page)
