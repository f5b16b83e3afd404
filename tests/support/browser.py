"""Browser fixtures and helpers: Debian's Chromium driven by Playwright.

Registered as a pytest plugin (``pytest_plugins = ["tests.support.browser"]``). It provides:

- ``browser``: one headless Chromium for the whole session;
- ``context``: a fresh ``BrowserContext`` (its own cookies, so its own provider session) per test;
- ``page``: a page in that context;
- ``sign_in(page, email, password, totp_secret=None)``: walks the sign-in pages of the
  harness contract (docs/dev/harness-contract.md);
- ``catch_redirect(page, redirect_uri)``: answers the browser's requests to a relying party's
  redirect URI from inside the browser, so that no relying-party server has to run.

Playwright's async API is used on purpose. pytest-asyncio runs one event loop for the whole
session, and Playwright's sync API marks its own loop as running on the calling thread between
calls, after which every async fixture or test in that thread fails. So browser tests are
``async def`` tests; they must not block the loop for long (run subprocesses with
``asyncio.create_subprocess_exec``), since the provider may be served on it.

Playwright never downloads a browser here: we launch ``/usr/bin/chromium`` (``make chromium``
installs it from Debian), or ``$GOVSIGNIN_CHROMIUM``.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pyotp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, Route, async_playwright, expect

CHROMIUM = os.environ.get("GOVSIGNIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long one step (a click, a page load, a field appearing) may take before a test fails.
STEP_TIMEOUT_MS = 15_000
# `expect(...)` assertions too: their own default is 5 s, which a form post answered after a
# busy moment on a loaded CI host can outlast (a page still showing the previous answer).
expect.set_options(timeout=STEP_TIMEOUT_MS)


@asynccontextmanager
async def launch_chromium(executable: str = CHROMIUM) -> AsyncIterator[Browser]:
    """Start headless Chromium from ``executable``; close it and Playwright's driver on exit."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            await browser.close()


@asynccontextmanager
async def new_context(browser: Browser, **options) -> AsyncIterator[BrowserContext]:
    """A fresh context (no cookies, no storage) that is closed on exit."""
    context = await browser.new_context(**options)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
    try:
        yield context
    finally:
        await context.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM}: run `make chromium` (Debian's package)")
    async with launch_chromium() as chromium:
        yield chromium


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    async with new_context(browser) as ctx:
        yield ctx


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


class SignInError(AssertionError):
    """A sign-in page was not where the harness contract says, with what the browser showed."""


async def _describe(page: Page) -> str:
    try:
        text = await page.locator("body").inner_text(timeout=2_000)
    except Exception as exc:  # the page may be mid-navigation or closed
        text = f"<no page text: {exc}>"
    return f"at {page.url}:\n{text[:2000]}"


async def _step(page: Page, what: str, action) -> None:
    try:
        await action()
    except Exception as exc:
        raise SignInError(f"sign-in step failed: {what} ({exc})\n{await _describe(page)}") from exc


async def totp_now(secret: str) -> str:
    """The current code for ``secret``, avoiding the last seconds of a 30-second window so the
    code does not expire between typing it and the provider checking it."""
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < 3:
        await asyncio.sleep(left + 0.1)
    return totp.now()


async def _fill_code(field, secret: str) -> None:
    await field.fill(await totp_now(secret))


async def sign_in(page: Page, email: str, password: str, totp_secret: str | None = None) -> None:
    """Sign in on the provider's pages, starting where ``/authorize`` left the browser.

    Follows docs/dev/harness-contract.md: "Sign in" on /sign-in-or-create, "Email address",
    "Password", then "Security code" from the authenticator app when ``totp_secret`` is given.
    Returns once the last "Continue" is clicked; the caller waits for the redirect (see
    ``catch_redirect``).
    """
    continue_button = page.get_by_role("button", name="Continue", exact=True)

    await _step(page, 'click "Sign in"',
                lambda: page.get_by_role("button", name="Sign in", exact=True).click())
    await _step(page, 'fill "Email address"',
                lambda: page.get_by_label("Email address", exact=True).fill(email))
    await _step(page, 'click "Continue" after the email', continue_button.click)
    await _step(page, 'fill "Password"',
                lambda: page.get_by_label("Password", exact=True).fill(password))
    await _step(page, 'click "Continue" after the password', continue_button.click)
    if totp_secret is None:
        return
    code_field = page.get_by_label("Security code", exact=True)
    await _step(page, 'see "Security code"', code_field.wait_for)
    await _step(page, 'fill "Security code"', lambda: _fill_code(code_field, totp_secret))
    await _step(page, 'click "Continue" after the security code', continue_button.click)


# The email page starts a conditional WebAuthn request (passkeys in the email field's autofill).
# Chromium's virtual authenticator answers a conditional request at once, with no one choosing
# the passkey, as if it had been picked from the autofill. Tests that need the button (browsers
# without conditional UI), or a virtual authenticator that must not sign in on its own, say the
# browser has no conditional UI.
NO_CONDITIONAL_UI = (
    "if (window.PublicKeyCredential) {"
    " PublicKeyCredential.isConditionalMediationAvailable = async () => false }"
)


async def without_passkey_autofill(context: BrowserContext) -> None:
    """Make every page of ``context`` report no conditional WebAuthn UI (see NO_CONDITIONAL_UI)."""
    await context.add_init_script(NO_CONDITIONAL_UI)


async def catch_redirect(page: Page, redirect_uri: str) -> asyncio.Future[str]:
    """Answer requests to ``redirect_uri`` (with any query) inside the browser.

    Nothing listens at a test relying party's redirect URI. This routes those requests to a
    small page instead of the network, and returns a future for the first full URL the browser
    asked for (``...?code=...&state=...``):

        redirected = await catch_redirect(page, redirect_uri)
        await page.goto(authorization_url)
        await sign_in(page, ...)
        callback_url = await asyncio.wait_for(redirected, 15)
    """
    future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    pattern = re.compile(re.escape(redirect_uri) + r"([?#].*)?$")

    async def handler(route: Route) -> None:
        if not future.done():
            future.set_result(route.request.url)
        await route.fulfill(
            status=200,
            content_type="text/html",
            body="<!doctype html><title>Relying party</title><p>Redirect received.</p>",
        )

    await page.route(pattern, handler)
    return future
