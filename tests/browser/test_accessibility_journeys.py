"""Every page of the citizen journeys, in English and in Welsh, with validation errors where a page
has them: axe-core (no serious or critical violations), reflow at 320 px, keyboard reach of the
main action, the error summary's focus and the title's hidden "Error:" prefix, and in Welsh no
English left on the page. See tests/support/walks.py for the checks and tests/support/a11y.py for
the accessibility harness.

The walks: creating an account with each second factor (text message, authenticator app, passkey),
signing in (email, password, app code, text-message code), the lockout pages, resetting a password,
a lost second factor with a recovery code and by email (with its cancellation), and every account
page through to deletion. On SQLite and PostgreSQL; the page checks (axe, reflow, keyboard), which
judge the HTML alone, on SQLite (`walk_options`).
"""

from __future__ import annotations

import asyncio
import secrets
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from tests.support.browser import without_passkey_autofill
from tests.support.walks import SERVICE, Walk, last_code, last_message, totp_code

pytestmark = pytest.mark.browser
PASSWORD = "walk-every-page-2026"
NEW_PASSWORD = "walk-every-page-2027"
LANGS = ["en", "cy"]


@pytest.fixture(scope="module")
def registered(live_server, tmp_path_factory):
    from joserfc.jwk import ECKey

    pem = tmp_path_factory.mktemp("walks") / "key.pem"
    pem.write_bytes(ECKey.generate_key("P-256").as_pem(private=False))
    redirect = "http://localhost:9/walk-callback"
    client = live_server.cli("services", "add", "--name", SERVICE, "--redirect-uri", redirect, "--public-key", str(pem))
    return client["client_id"], redirect


def walk_for(page, live_server, registered, lang, **kwargs) -> Walk:
    client_id, redirect = registered
    return Walk(page, live_server, lang, client_id=client_id, redirect=redirect, **kwargs)


def new_email(kind: str) -> str:
    return f"walk-{kind}-{secrets.token_hex(4)}@example.com"


def account_with_app(live_server, email=None) -> tuple[str, str]:
    email = email or new_email("app")
    secret = pyotp.random_base32()
    live_server.cli("accounts", "add", "--email", email, "--password", PASSWORD, "--totp-secret", secret)
    return email, secret


async def service_got_a_code(w: Walk, redirected: asyncio.Future) -> None:
    url = await asyncio.wait_for(redirected, 15)
    assert parse_qs(urlsplit(url).query).get("code"), url
    await w.page.wait_for_url(lambda u: u.startswith(w.redirect))  # let that navigation finish


async def add_virtual_authenticator(context, page) -> None:
    # Without conditional UI: the virtual authenticator would answer the email page's autofill
    # request by itself (tests/support/browser.py), and the walks check the page and use the button.
    await without_passkey_autofill(context)
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})


# --- account creation ----------------------------------------------------------------------------

async def create_until_security_codes(w: Walk, email: str) -> asyncio.Future:
    w.allowed.append(email)
    await w.start()
    redirected = await w.authorize()
    await w.check("sign-in-or-create")
    await w.follow("main button[value=create]", "/enter-email-create", "enter-email-create")
    await w.submit()
    await w.check("enter-email-create", error=True)
    await w.fill("#email", email)
    await w.submit()
    await w.expect_path("/check-your-email")
    await w.check("check-your-email")
    await w.fill("#code", "12")
    await w.submit()
    await w.check("check-your-email", error=True)
    await w.fill("#code", last_code(w.live_server, email))
    await w.submit()
    await w.expect_path("/create-password")
    await w.check("create-password")
    await w.fill("#password", PASSWORD)
    await w.fill("#confirm-password", PASSWORD + "x")
    await w.submit()
    await w.check("create-password", error=True)
    await w.fill("#password", PASSWORD)
    await w.fill("#confirm-password", PASSWORD)
    await w.submit()
    await w.expect_path("/get-security-codes")
    await w.check("get-security-codes")
    await w.submit()
    await w.check("get-security-codes", error=True)
    return redirected


async def finish_creation(w: Walk, redirected) -> None:
    await w.expect_path("/account-created")
    # An account made with a passkey is shown its recovery codes here: values, not copy.
    w.allowed.extend([c.strip() for c in await w.page.locator("#recovery-codes li").all_inner_texts()])
    await w.check("account-created")
    await w.submit()
    await service_got_a_code(w, redirected)


@pytest.mark.parametrize("lang", LANGS)
async def test_create_an_account_with_text_messages_then_sign_in(live_server, registered, context, page, lang, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    email, phone = new_email("sms"), f"07400 1{secrets.randbelow(10**5):05d}"
    redirected = await create_until_security_codes(w, email)
    await w.click("#choice-sms")
    await w.submit()
    await w.expect_path("/enter-phone-number")
    await w.check("enter-phone-number")
    await w.fill("#phone", "12345")
    await w.submit()
    await w.check("enter-phone-number", error=True)
    await w.fill("#phone", phone)
    await w.submit()
    await w.expect_path("/check-your-phone")
    await w.check("check-your-phone")
    await w.fill("#code", "000000")
    await w.submit()
    await w.check("check-your-phone", error=True)
    international = "+44" + phone.replace(" ", "")[1:]
    await w.fill("#code", last_code(live_server, international))
    await w.submit()
    await finish_creation(w, redirected)

    # Signing in again by text message: the enter-code page.
    await context.clear_cookies()
    await w.start()
    redirected = await w.authorize()
    await w.click("main button[value=sign-in]")
    await w.fill("#email", email)
    await w.submit()
    await w.fill("#password", PASSWORD)
    await w.submit()
    await w.expect_path("/enter-code")
    await w.check("enter-code")
    await w.fill("#code", "abc")
    await w.submit()
    await w.check("enter-code", error=True)
    await w.fill("#code", last_code(live_server, international))
    await w.submit()
    await service_got_a_code(w, redirected)


@pytest.mark.parametrize("lang", LANGS)
async def test_create_an_account_with_an_authenticator_app(live_server, registered, page, lang, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    redirected = await create_until_security_codes(w, new_email("app"))
    await w.click("#choice-auth_app")
    await w.submit()
    await w.expect_path("/setup-authenticator-app")
    await w.check("setup-authenticator-app")
    secret = await w.secret_key()
    await w.fill("#code", "123")
    await w.submit()
    await w.check("setup-authenticator-app", error=True)
    await w.fill("#code", await totp_code(secret))
    await w.submit()
    await finish_creation(w, redirected)


@pytest.mark.parametrize("lang", LANGS)
async def test_create_an_account_with_a_passkey_then_sign_in_with_it(live_server, registered, context, page, lang, walk_options):
    await add_virtual_authenticator(context, page)
    w = walk_for(page, live_server, registered, lang, **walk_options)
    email = new_email("passkey")
    redirected = await create_until_security_codes(w, email)
    await w.click("#choice-passkey")
    await w.submit()
    await w.expect_path("/create-passkey")
    await w.check("create-passkey")
    await w.click("#create-passkey")
    await finish_creation(w, redirected)

    # Sign in with it from the email page (offered to everyone, before any email).
    await context.clear_cookies()
    await w.start()
    redirected = await w.authorize()
    await w.click("main button[value=sign-in]")
    await w.expect_path("/enter-email")
    await w.page.wait_for_selector("#passkey-sign-in:not([hidden])")
    await w.check("enter-email (passkey offered)")
    await w.click("#passkey-button")
    await service_got_a_code(w, redirected)


# --- signing in, lockouts --------------------------------------------------------------------------

async def sign_in_until_code(w: Walk, email: str, check: bool = False) -> asyncio.Future:
    await w.start()
    redirected = await w.authorize()
    if check:
        await w.check("sign-in-or-create")
    await w.click("main button[value=sign-in]")
    await w.expect_path("/enter-email")
    if check:
        await w.check("enter-email")
        await w.submit()
        await w.check("enter-email", error=True)
    await w.fill("#email", email)
    await w.submit()
    await w.expect_path("/enter-password")
    if check:
        await w.check("enter-password")
        await w.submit()
        await w.check("enter-password", error=True)
    await w.fill("#password", PASSWORD)
    await w.submit()
    await w.expect_path("/enter-authenticator-app-code")
    return redirected


@pytest.mark.parametrize("lang", LANGS)
async def test_sign_in(live_server, registered, page, lang, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    redirected = await sign_in_until_code(w, email, check=True)
    await w.check("enter-authenticator-app-code")
    await w.submit()
    await w.check("enter-authenticator-app-code", error=True)
    await w.fill("#code", await totp_code(secret))
    await w.submit()
    await service_got_a_code(w, redirected)


async def repeat_until(w: Walk, path: str, action, attempts: int = 12) -> None:
    for _ in range(attempts):
        await action()
        await w.page.wait_for_load_state("load")
        if urlsplit(w.page.url).path == path:
            return
    raise AssertionError(f"{attempts} attempts did not reach {path}; at {w.page.url}")

async def new_browser_at_password(w, context, live_server) -> str:
    """A new account, a fresh browser session, and the walk on its password page."""
    await context.clear_cookies()
    email, _ = account_with_app(live_server)
    w.allowed.append(email)
    await w.start()
    await w.authorize()
    await w.click("main button[value=sign-in]")
    await w.fill("#email", email)
    await w.submit()
    return email


@pytest.mark.parametrize("lang", LANGS)
async def test_lockout_pages(live_server, registered, context, page, lang, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    # Wrong security codes: /security-code-invalid.
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    await sign_in_until_code(w, email)

    async def wrong_code():
        await w.fill("#code", "000000" if await totp_code(secret) != "000000" else "111111")
        await w.submit()
    await repeat_until(w, "/security-code-invalid", wrong_code)
    await w.check("security-code-invalid")

    # Wrong passwords: /account-locked.
    email = await new_browser_at_password(w, context, live_server)

    async def wrong_password():
        await w.fill("#password", "not-the-password-9")
        await w.submit()
    await repeat_until(w, "/account-locked", wrong_password)
    await w.check("account-locked")

    # Resetting a password: too many requests for a new code.
    email = await new_browser_at_password(w, context, live_server)
    await w.click("main a[href='/reset-password-request']")
    await w.submit()
    await w.expect_path("/reset-password-check-email")

    async def resend_reset():
        if await w.page.locator("main details summary").count() and not await w.page.locator("main details[open]").count():
            await w.click("main details summary")
        await w.click("main form button.govuk-button--secondary")
    await repeat_until(w, "/reset-password-requested-too-many-times", resend_reset)
    await w.check("reset-password-requested-too-many-times")

    # An account with no second factor, at a service that needs one.
    await context.clear_cookies()
    email = new_email("nofactor")
    w.allowed.append(email)
    live_server.cli("accounts", "add", "--email", email, "--password", PASSWORD)
    await w.start()
    await w.authorize()
    await w.click("main button[value=sign-in]")
    await w.fill("#email", email)
    await w.submit()
    await w.fill("#password", PASSWORD)
    await w.submit()
    await w.page.wait_for_load_state("load")
    await w.check(urlsplit(w.page.url).path.strip("/"))

    # Creating an account: wrong email codes, then too many requests for a new code.
    for path, action in (("/security-code-entered-too-many-times", "wrong"),
                         ("/security-code-requested-too-many-times", "resend")):
        await context.clear_cookies()
        await w.start()
        email = new_email("locked")
        w.allowed.append(email)
        await w.authorize()
        await w.click("main button[value=create]")
        await w.fill("#email", email)
        await w.submit()
        await w.expect_path("/check-your-email")

        async def step(action=action):
            if action == "wrong":
                await w.fill("#code", "000000" if last_code(live_server, email) != "000000" else "111111")  # noqa: B023
                await w.submit()
            else:  # "Send the code again", inside "Not received an email?"
                if not await w.page.locator("main details[open]").count():
                    await w.click("main details summary")
                await w.click("main form button.govuk-button--secondary")
        await repeat_until(w, path, step)
        await w.check(path.strip("/"))


# --- recovery --------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_reset_password(live_server, registered, page, lang, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    await w.start()
    redirected = await w.authorize()
    await w.click("main button[value=sign-in]")
    await w.fill("#email", email)
    await w.submit()
    await w.follow("main a[href='/reset-password-request']", "/reset-password-request", "reset-password-request")
    await w.submit()
    await w.expect_path("/reset-password-check-email")
    await w.check("reset-password-check-email")
    await w.submit()
    await w.check("reset-password-check-email", error=True)
    await w.fill("#code", last_code(live_server, email))
    await w.submit()
    await w.expect_path("/reset-password-2fa-auth-app")
    await w.check("reset-password-2fa-auth-app")
    await w.submit()
    await w.check("reset-password-2fa-auth-app", error=True)
    await w.fill("#code", await totp_code(secret))
    await w.submit()
    await w.expect_path("/reset-password")
    await w.check("reset-password")
    await w.fill("#password", "short")
    await w.fill("#confirm-password", "short")
    await w.submit()
    await w.check("reset-password", error=True)
    await w.fill("#password", "a-new-password-2026")
    await w.fill("#confirm-password", "a-new-password-2026")
    await w.submit()
    await service_got_a_code(w, redirected)

    # For 48 hours after a reset, the account pages refuse to change how codes are got.
    await w.goto("/account/change-authenticator-app")
    if "/account/enter-password" in page.url:  # the re-prompt, unless the reset was just now
        await w.fill("#password", "a-new-password-2026")
        await w.submit()
    await w.expect_path("/account/cannot-change-security-codes")
    await w.check("account/cannot-change-security-codes")


@pytest.mark.parametrize("lang", LANGS)
async def test_lost_second_factor(live_server, registered, services, context, page, lang, walk_options):
    from govsignin.accounts.recovery_codes import generate_recovery_codes

    w = walk_for(page, live_server, registered, lang, **walk_options)
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    user = await services.accounts.by_email(email)
    codes = await generate_recovery_codes(services, user.id)
    w.allowed.extend(codes)

    # With a recovery code.
    redirected = await sign_in_until_code(w, email)
    await w.follow("main a[href='/how-do-you-want-security-codes']", "/how-do-you-want-security-codes", "how-do-you-want-security-codes")
    await w.submit()
    await w.check("how-do-you-want-security-codes", error=True)
    await w.follow("main a[href='/cannot-use-security-codes']", "/cannot-use-security-codes", "cannot-use-security-codes")
    await w.submit()
    await w.check("cannot-use-security-codes", error=True)
    await w.click("input[name=how][value=recovery_code]")
    await w.submit()
    await w.expect_path("/enter-recovery-code")
    await w.check("enter-recovery-code")
    await w.fill("#code", "aaaaa-bbbbb")
    await w.submit()
    await w.check("enter-recovery-code", error=True)
    await w.fill("#code", codes[0])
    await w.submit()
    await w.expect_path("/change-security-codes")
    await w.check("change-security-codes")
    new_secret = await w.secret_key()
    await w.fill("#code", "12")
    await w.submit()
    await w.check("change-security-codes", error=True)
    await w.fill("#code", await totp_code(new_secret))
    await w.submit()
    await w.expect_path("/change-codes-confirmed")
    w.allowed.extend([c.strip() for c in await page.locator("#recovery-codes li").all_inner_texts()])
    await w.check("change-codes-confirmed")
    await w.submit()
    await service_got_a_code(w, redirected)

    # By email, with a waiting period; then the change is cancelled from the email's link.
    await context.clear_cookies()
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    await sign_in_until_code(w, email)
    await w.click("main a[href='/how-do-you-want-security-codes']")
    await w.click("main a[href='/cannot-use-security-codes']")
    await w.click("input[name=how][value=email]")
    await w.submit()
    await w.expect_path("/change-security-codes-check-email")
    await w.check("change-security-codes-check-email")
    await w.fill("#code", "99")
    await w.submit()
    await w.check("change-security-codes-check-email", error=True)
    await w.fill("#code", last_code(live_server, email))
    await w.submit()
    await w.expect_path("/change-security-codes-requested")
    await w.check("change-security-codes-requested")
    notice = last_message(live_server, email)["personalisation"]
    await page.goto(notice["cancel_link"])
    await w.expect_path("/cancel-security-code-change")
    await w.check("cancel-security-code-change")
    await w.submit()
    await w.page.wait_for_load_state("load")
    await w.check("cancel-security-code-change (done)")


# --- the account pages -----------------------------------------------------------------------------

async def account_pages_signed_in(w: Walk, email: str, secret: str, password: str = PASSWORD) -> None:
    await w.start()
    await w.goto("/account")
    await w.click("main button[value=sign-in]")
    await w.fill("#email", email)
    await w.submit()
    await w.fill("#password", password)
    await w.submit()
    await w.fill("#code", await totp_code(secret, step=1))  # the current step's code may be used
    await w.submit()
    await w.expect_path("/account")


@pytest.mark.parametrize("lang", LANGS)
async def test_every_account_page(live_server, registered, services, context, page, lang, walk_options):
    await add_virtual_authenticator(context, page)
    w = walk_for(page, live_server, registered, lang, **walk_options)
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    # A service used, for the home page's list and the activity history.
    redirected = await sign_in_until_code(w, email)
    await w.fill("#code", await totp_code(secret))
    await w.submit()
    await service_got_a_code(w, redirected)

    await w.goto("/account")
    await w.check("account")
    await w.follow("main a[href='/account/security']", "/account/security", "account/security")

    # The password re-prompt, then a new password.
    await w.follow("main a[href='/account/change-password']", "/account/enter-password", "account/enter-password")
    await w.submit()
    await w.check("account/enter-password", error=True)
    await w.fill("#password", PASSWORD)
    await w.submit()
    await w.expect_path("/account/change-password")
    await w.check("account/change-password")
    await w.submit()
    await w.check("account/change-password", error=True)
    await w.fill("#password", NEW_PASSWORD)
    await w.fill("#confirm-password", NEW_PASSWORD)
    await w.submit()
    await w.expect_path("/account/security")
    await w.check("account/security (updated)")

    # A new email address.
    new = "new-" + email
    w.allowed.append(new)
    await w.follow("main a[href='/account/change-email']", "/account/change-email", "account/change-email")
    await w.submit()
    await w.check("account/change-email", error=True)
    await w.fill("#email", new)
    await w.submit()
    await w.expect_path("/account/check-your-email")
    await w.check("account/check-your-email")
    await w.fill("#code", "1")
    await w.submit()
    await w.check("account/check-your-email", error=True)
    await w.fill("#code", last_code(live_server, new))
    await w.submit()
    await w.expect_path("/account/security")

    # A phone number.
    phone = f"07400 1{secrets.randbelow(10**5):05d}"
    await w.follow("main a[href='/account/change-phone-number']", "/account/change-phone-number", "account/change-phone-number")
    await w.fill("#phone", "12")
    await w.submit()
    await w.check("account/change-phone-number", error=True)
    await w.fill("#phone", phone)
    await w.submit()
    await w.expect_path("/account/check-your-phone")
    await w.check("account/check-your-phone")
    await w.fill("#code", "1")
    await w.submit()
    await w.check("account/check-your-phone", error=True)
    await w.fill("#code", last_code(live_server, "+44" + phone.replace(" ", "")[1:]))
    await w.submit()
    await w.expect_path("/account/security")

    # A new authenticator app.
    await w.follow("main a[href='/account/change-authenticator-app']", "/account/change-authenticator-app", "account/change-authenticator-app")
    new_secret = await w.secret_key()
    await w.fill("#code", "12")
    await w.submit()
    await w.check("account/change-authenticator-app", error=True)
    await w.fill("#code", await totp_code(new_secret))
    await w.submit()
    await w.expect_path("/account/security")
    secret = new_secret

    # A backup phone; making it the default and back; removing it.
    backup = f"07400 2{secrets.randbelow(10**5):05d}"
    await w.follow("main a[href='/account/change-phone-number?backup=1']", "/account/change-phone-number", "account/change-phone-number (backup)")
    await w.fill("#phone", backup)
    await w.submit()
    await w.expect_path("/account/check-your-phone")
    await w.fill("#code", last_code(live_server, "+44" + backup.replace(" ", "")[1:]))
    await w.submit()
    await w.expect_path("/account/security")
    await w.check("account/security (backup)")
    for _ in range(2):  # the phone becomes the default, then the app again
        await w.follow("main a[href^='/account/switch-methods']", "/account/switch-methods", "account/switch-methods")
        await w.submit()
        await w.expect_path("/account/security")
    await w.follow("main a[href^='/account/remove-backup-method']", "/account/remove-backup-method", "account/remove-backup-method")
    await w.submit()
    await w.expect_path("/account/security")

    # A passkey (Chromium's virtual authenticator), then removing it.
    await w.follow("main a[href='/account/add-passkey']", "/account/add-passkey", "account/add-passkey")
    await w.follow("#create-passkey", "/account/security", "account/security (passkey)")
    await w.follow("main a[href^='/account/remove-passkey']", "/account/remove-passkey", "account/remove-passkey")
    await w.submit()
    await w.expect_path("/account/security")

    # Recovery codes.
    await w.follow("main a[href='/account/recovery-codes']", "/account/recovery-codes", "account/recovery-codes")
    await w.submit()
    await page.locator("#recovery-codes li").first.wait_for()
    w.allowed.extend([c.strip() for c in await page.locator("#recovery-codes li").all_inner_texts()])
    await w.check("account/recovery-codes (new)")

    # Activity, and reporting an event.
    await w.goto("/account/activity-history")
    await w.check("account/activity-history")
    await w.follow("#activity a", "/account/activity-history/report-activity", "account/report-activity")
    await w.submit()
    report = (await page.locator("#report-number").inner_text()).strip()
    w.allowed.append(report)
    await w.check("account/activity-reported")

    # Signing out of all devices.
    await w.goto("/account/global-logout")
    await w.check("account/global-logout")
    await w.submit()
    await w.check("account/signed-out-everywhere")

    # Deleting the account.
    await account_pages_signed_in(w, new, secret, NEW_PASSWORD)
    await w.goto("/account/delete-account")
    await w.check("account/delete-account")
    await w.fill("#password", "not-the-password-1")
    await w.submit()
    await w.check("account/delete-account", error=True)
    await w.fill("#password", NEW_PASSWORD)
    await w.submit()
    await w.page.wait_for_load_state("load")
    await w.check("account/account-deleted")


async def repeat_until_gone(w: Walk, selector: str, action, attempts: int = 12) -> None:
    for _ in range(attempts):
        await action()
        await w.page.wait_for_load_state("load")
        if not await w.page.locator(selector).count():
            return
    raise AssertionError(f"{attempts} attempts left {selector} on the page; at {w.page.url}")


@pytest.mark.parametrize("lang", LANGS)
async def test_account_lockout_pages(live_server, registered, context, page, lang, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    # Wrong codes for a new email address: the code-blocked page.
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    await account_pages_signed_in(w, email, secret)
    await w.goto("/account/change-email")
    if "/account/enter-password" in page.url:
        await w.fill("#password", PASSWORD)
        await w.submit()
    await w.fill("#email", "new-" + email)
    w.allowed.append("new-" + email)
    await w.submit()
    await w.expect_path("/account/check-your-email")

    async def wrong_code():
        await w.fill("#code", "000000" if last_code(live_server, "new-" + email) != "000000" else "111111")
        await w.submit()
    await repeat_until_gone(w, "#code", wrong_code)
    await w.check("account/code-blocked")

    # Wrong passwords at the re-prompt: signed out, the password-locked page.
    await context.clear_cookies()
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    await account_pages_signed_in(w, email, secret)
    await w.goto("/account/enter-password?next=/account/change-password")

    async def wrong_password():
        await w.fill("#password", "not-the-password-7")
        await w.submit()
    await repeat_until_gone(w, "#password", wrong_password)
    await w.check("account/password-locked")


# --- pages outside the journeys ------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
async def test_logout_confirmation(live_server, registered, page, lang, walk_options):
    """A signed-in citizen sent to /logout without their own id_token_hint confirms first."""
    w = walk_for(page, live_server, registered, lang, **walk_options)
    email, secret = account_with_app(live_server)
    w.allowed.append(email)
    await account_pages_signed_in(w, email, secret)
    await w.goto("/logout?state=abc")
    await w.check("logout-confirm")
    await w.submit()
    await w.expect_path("/signed-out")
    await w.check("signed-out")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", ["/", "/signed-out", "/enter-email", "/no-such-page", "/authorize?client_id=no-such-service"])
async def test_other_pages(live_server, registered, page, lang, path, walk_options):
    w = walk_for(page, live_server, registered, lang, **walk_options)
    await w.start()
    await w.goto(path)
    await w.check(path)


@pytest.fixture
def walk_options(backend):
    """Extra Walk options; tests/browser/test_screenshots.py overrides this to take screenshots.

    axe, reflow and keyboard reach judge the HTML a page renders, which is the same on either
    database, and they are most of a walk's time: they run on the SQLite walks. The PostgreSQL
    walks take the same journeys through Chromium with every other check (the language, the
    error summaries and their focus, no English on a Welsh page)."""
    return {"page_checks": backend == "sqlite"}
