"""The demo that ``make run`` starts, end to end through Chromium.

Both demo services (demo/rp.py: Starlette + Authlib, private_key_jwt, PKCE, nonce, state, vtr) run
on free ports against the ``live_server`` provider, registered as ``demo.run`` registers them.
One sign-in to "Check your State Pension" (Cl.Cm) must sign the browser in to "Apply for a fishing
licence" (Cl) without a single question; the two services must see different pairwise subjects;
and signing out of one must reach the other over the back channel.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyotp
import pytest
import uvicorn
from starlette.applications import Starlette

from demo.keys import ensure_key_pair
from demo.rp import create_app
from demo.run import registration_args, service_urls
from demo.services import SERVICES, ServiceSpec
from tests.support.browser import sign_in
from tests.support.ports import free_port

SUB = re.compile(r"urn:fdc:gov\.uk:2022:[A-Za-z0-9_-]{20,}={0,2}")


@dataclass
class RunningService:
    spec: ServiceSpec
    base_url: str
    client_id: str
    app: Starlette

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def at(self, path: str) -> re.Pattern[str]:
        """Matches this service's `path` with any query string."""
        return re.compile(re.escape(self.base_url + path) + r"(\?.*)?$")


@dataclass
class Account:
    email: str
    password: str
    totp_secret: str


def serve_in_thread(app: Starlette, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name=f"demo-service-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the demo service on port {port} did not start")
        time.sleep(0.02)
    return server, thread


@pytest.fixture
def demo_services(live_server, tmp_path: Path) -> Iterator[dict[str, RunningService]]:
    """Both demo services, registered with the live provider as ``demo.run`` registers them."""
    running: dict[str, RunningService] = {}
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []
    try:
        for spec in SERVICES.values():
            port = free_port()
            base_url = f"http://localhost:{port}"
            key = tmp_path / f"{spec.slug}.pem"
            public_key = ensure_key_pair(key, spec.client_key_alg)
            registered = live_server.cli(
                "services", "add", *registration_args(spec, public_key, service_urls(base_url))
            )
            app = create_app(
                spec,
                issuer=live_server.url,
                client_id=registered["client_id"],
                private_key_path=key,
                base_url=base_url,
            )
            servers.append(serve_in_thread(app, port))
            running[spec.slug] = RunningService(spec, base_url, registered["client_id"], app)
        yield running
    finally:
        for server, _ in servers:
            server.should_exit = True
        for _, thread in servers:
            thread.join(10)


@pytest.fixture
def account(live_server) -> Account:
    account = Account(
        email=f"demo-{secrets.token_hex(4)}@example.gov.uk",
        password=f"Demo-account-{secrets.token_hex(6)}-7",
        totp_secret=pyotp.random_base32(),
    )
    live_server.cli(
        "accounts", "add", "--email", account.email, "--password", account.password,
        "--totp-secret", account.totp_secret,
    )  # fmt: skip
    return account


async def signed_in_sub(page, service: RunningService, email: str) -> str:
    """On `service`'s account page: check who it says is signed in; return the pairwise sub."""
    body = await page.locator("body").inner_text()
    assert f"You're signed in as {email}" in body, body
    return (await page.locator("#sub").inner_text()).strip()


async def wait_for_backchannel_logout(service: RunningService, sub: str, timeout: float = 20):
    """The accepted logout token `service` received for `sub`; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for entry in list(service.app.state.backchannel_logouts):
            if entry.get("accepted") and entry.get("sub") == sub:
                return entry
        await asyncio.sleep(0.2)
    raise AssertionError(
        f"{service.spec.name} got no accepted back-channel logout for {sub} within {timeout} s; "
        f"it got: {service.app.state.backchannel_logouts}"
    )


@pytest.mark.browser
async def test_one_sign_in_two_services_pairwise_subs_and_backchannel_logout(
    live_server, page, demo_services, account
):
    pension, fishing = demo_services["pension"], demo_services["fishing"]

    # 1. Check your State Pension asks for Cl.Cm: email, password and an authenticator-app code.
    await page.goto(pension.url("/"))
    await page.get_by_role("button", name="Start now").click()
    await sign_in(page, account.email, account.password, totp_secret=account.totp_secret)
    await page.wait_for_url(pension.at("/account"))
    pension_sub = await signed_in_sub(page, pension, account.email)
    assert (await page.locator("#vot").inner_text()).strip() == "Cl.Cm"

    # 2. Apply for a fishing licence (Cl): signed in at once, no provider page shown.
    provider_pages: list[str] = []
    page.on(
        "framenavigated",
        lambda frame: frame == page.main_frame
        and frame.url.startswith(live_server.url)
        and provider_pages.append(frame.url),
    )
    await page.goto(fishing.url("/"))
    await page.get_by_role("button", name="Start now").click()
    await page.wait_for_url(fishing.at("/account"))
    shown = [url for url in provider_pages if urlsplit(url).path != "/authorize"]
    assert shown == [], f"single sign-on showed provider pages: {shown}"
    fishing_sub = await signed_in_sub(page, fishing, account.email)
    assert (await page.locator("#vot").inner_text()).strip() == "Cl"

    # Pairwise subjects: each looks like One Login's, and the two sectors get different ones.
    assert SUB.fullmatch(pension_sub), pension_sub
    assert SUB.fullmatch(fishing_sub), fishing_sub
    assert pension_sub != fishing_sub
    assert pension.app.state.sessions.subs == [pension_sub]

    # 3. Sign out of the fishing service: /logout ends the provider session, comes back with
    #    our state, and tells the pension service over the back channel.
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url(fishing.at("/signed-out"))
    assert "You have signed out" in await page.locator("h1").inner_text()

    logout = await wait_for_backchannel_logout(pension, pension_sub)
    assert logout["sessions_ended"] == 1, logout
    assert pension.app.state.sessions.subs == []
    await page.goto(pension.url("/account"))
    await page.wait_for_url(pension.at("/"))
    assert "You were signed out" in await page.locator("#notice").inner_text()

    # And the provider session is gone too: starting again asks for the email address.
    await page.get_by_role("button", name="Start now").click()
    await page.get_by_role("button", name="Sign in", exact=True).wait_for()
