"""Language-neutral browser walks of the citizen journeys, for the accessibility and Welsh checks
(tests/browser/test_accessibility_journeys.py) and the screenshots (tests/browser/test_screenshots.py).

A `Walk` drives one page in one language (`lng` cookie and `ui_locales`) with selectors that do
not depend on the copy (field ids, form actions, hrefs, radio values), and `await walk.check(name)`
on each page runs:

- `check_page` (axe serious/critical, reflow at 320 px, keyboard reach of the main action), unless
  the walk was made with `page_checks=False`;
- `<html lang>` is the walk's language;
- with `error=True`: the error summary is shown and has the focus, and the title starts with the
  hidden "Error:" prefix in the page's language;
- in Welsh: no English left on the page (tests/support/welsh.py);
- where `shots` is set, a PNG of the page at 1024 px wide.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pyotp

from tests.support.a11y import AccessibilityFailure, check_page
from tests.support.browser import catch_redirect
from tests.support.welsh import english_on_page, page_text

SERVICE = "Gwasanaeth Prawf"  # the test service's name: the same in both languages
ERROR_PREFIX = {"en": "Error:", "cy": "Gwall:"}


def last_message(live_server, to: str) -> dict:
    return live_server.last_message(to)


def last_code(live_server, to: str) -> str:
    return last_message(live_server, to)["personalisation"]["code"]


async def totp_code(secret: str, step: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    if step == 0 and totp.interval - time.time() % totp.interval < 3:
        await asyncio.sleep(3.5)
    return totp.at(time.time() + step * totp.interval)


@dataclass
class Walk:
    page: object
    live_server: object
    lang: str
    client_id: str = ""
    redirect: str = ""
    shots: Path | None = None  # a folder: take screenshots of the pages named in `wanted`
    wanted: dict = field(default_factory=dict)  # page name → [(file stem, viewport width)]
    allowed: list = field(default_factory=list)  # values on pages that are not copy (emails, codes)
    visited: list = field(default_factory=list)
    page_checks: bool = True  # axe, reflow and keyboard (tests/support/a11y.py) on every page checked

    @property
    def url(self) -> str:
        return self.live_server.url

    async def start(self) -> None:
        await self.page.context.add_cookies([{"name": "lng", "value": self.lang, "url": self.url}])

    async def authorize(self, **extra) -> asyncio.Future:
        params = {"response_type": "code", "client_id": self.client_id, "redirect_uri": self.redirect,
                  "scope": "openid email phone", "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8),
                  "vtr": '["Cl.Cm"]', "ui_locales": self.lang, **extra}
        redirected = await catch_redirect(self.page, self.redirect)
        await self.page.goto(f"{self.url}/authorize?{urlencode(params)}")
        return redirected

    async def goto(self, path: str) -> None:
        await self.page.goto(self.url + path)

    async def expect_path(self, path: str) -> None:
        try:
            await self.page.wait_for_url(re.compile(re.escape(self.url + path) + r"(\?.*)?$"), timeout=10_000)
        except Exception:
            text = page_text(await self.page.content())[:1500]
            raise AssertionError(f"expected {path}, at {self.page.url} ({self.lang}):\n{text}") from None

    async def check(self, name: str, error: bool = False) -> None:
        page = self.page
        await page.wait_for_load_state("load")
        where = f"{name} ({self.lang}) at {page.url}"
        assert await page.get_attribute("html", "lang") == self.lang, where
        if error:
            await page.wait_for_selector(".govuk-error-summary")
            focused = await page.evaluate(
                "() => new Promise(r => setTimeout(() => r(document.activeElement.closest('.govuk-error-summary') !== null), 100))")
            assert focused, f"{where}: the error summary does not have the focus"
            title = await page.title()
            assert title.startswith(ERROR_PREFIX[self.lang] + " "), f"{where}: title {title!r} lacks the error prefix"
        try:
            if self.page_checks:
                await check_page(page)
        except AccessibilityFailure as exc:
            if "sideways" in str(exc):
                exc = f"{exc}; too wide at 320 px: {await self._too_wide()}"
            raise AccessibilityFailure(f"{where}: {exc}") from None
        if self.lang == "cy":
            html = await page.content()
            english = english_on_page(html, allowed=tuple(self.allowed) + (SERVICE, "GOV.UK Sign In", "GOV.UK"))
            assert not english, f"{where}: English on a Welsh page: {english}\n{page_text(html)[:2000]}"
        self.visited.append(name + (" (error)" if error else ""))
        if self.shots is not None:
            for stem, width in self.wanted.get(name + (" (error)" if error else ""), ()):
                await page.set_viewport_size({"width": width, "height": 768 if width >= 768 else 640})
                await page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
                await page.screenshot(path=str(self.shots / f"{stem}.png"), full_page=True)
            await page.set_viewport_size({"width": 1024, "height": 768})

    async def _too_wide(self) -> list:
        """The innermost elements sticking out of the viewport at 320 px, for the failure message."""
        original = self.page.viewport_size
        await self.page.set_viewport_size({"width": 320, "height": 640})
        try:
            return await self.page.evaluate("""() => {
              const w = document.documentElement.clientWidth, out = [];
              for (const el of document.querySelectorAll('body *')) {
                const r = el.getBoundingClientRect();
                if (r.right > w + 1 && ![...el.children].some(c => c.getBoundingClientRect().right > w + 1))
                  out.push(el.outerHTML.slice(0, 160) + ' right=' + Math.round(r.right));
              }
              return out.slice(0, 5);
            }""")
        finally:
            if original:
                await self.page.set_viewport_size(original)

    # --- actions, by selectors that do not depend on the language --------------------------------

    async def fill(self, selector: str, value: str) -> None:
        await self.page.locator(selector).fill(value)

    async def submit(self) -> None:
        """The page's main action: the first primary button of the first form in <main>."""
        await self.page.locator("main form button.govuk-button:not(.govuk-button--secondary)").first.click()

    async def click(self, selector: str) -> None:
        await self.page.locator(selector).first.click()

    async def follow(self, selector: str, path: str, name: str) -> None:
        """Click a link, land on `path`, and check the page that arrives."""
        await self.click(selector)
        await self.expect_path(path)
        await self.check(name)

    async def secret_key(self) -> str:
        secret = (await self.page.locator("#secret-key").inner_text()).strip()
        self.allowed.extend([secret, *secret.split()])
        return secret.replace(" ", "")
