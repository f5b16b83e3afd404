"""Nobody signs in as someone else, whatever the order of pages, tabs and forms.

A hypothesis state machine plays an attacker with one browser (two tabs) against the real app
over in-process HTTP. They know a victim's email and password (and a second victim's, who gets
text messages), and hold their own mailbox, phone and authenticator app. The rules start
sign-ins at services (Cl and Cl.Cm, prompt=login) and on the account pages, fill in whatever page
a tab shows as one person or another, fill any form with any of the secrets they know, go back,
visit any page in any order, and stop before `/auth-code` or a "Continue" button.

After every step (journey_world.Knowledge.check_*): the browser's session, every code a service
gets (redeemed at /token, its sub and vot read), and every account page belong to an account
whose password, and for Cl.Cm its second factor, the attacker presented in this journey (or
presented in the journey behind the browser's session, for the account it is signed in as); the
victims' passwords and second factors never change; no page answers 5xx.

GOVSIGNIN_HYPOTHESIS_PROFILE=long runs 10,000 examples on both databases (docs/testing.md); the
default is bounded (100 examples), on SQLite. GOVSIGNIN_HYPOTHESIS_EXAMPLES=N runs N examples.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from urllib.parse import urlencode

import httpx
import pyotp
import pytest
from hypothesis import note, settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.properties.conftest import PropertyRP
from tests.properties.journey_world import CSRF, NEXT_FIELD, SECRET_SHOWN, WRONG_CODE, Knowledge, Tab, new_password

PROFILE = os.environ.get("GOVSIGNIN_HYPOTHESIS_PROFILE", "journey-bounded")

# Every page a citizen can open by its address (GET), in any order.
PAGES = [
    "/sign-in-or-create", "/enter-email", "/enter-password", "/enter-authenticator-app-code", "/enter-code",
    "/second-factor-needed", "/account-locked", "/security-code-invalid", "/login-required", "/auth-code",
    "/enter-email-create", "/check-your-email", "/create-password", "/get-security-codes",
    "/enter-phone-number", "/check-your-phone", "/setup-authenticator-app", "/account-created",
    "/how-do-you-want-security-codes", "/enter-recovery-code", "/reset-password-request",
    "/reset-password-check-email", "/reset-password-2fa-auth-app", "/reset-password-2fa-sms",
    "/reset-password-recovery-code", "/reset-password-passkey", "/reset-password", "/cannot-use-security-codes",
    "/change-security-codes-check-email", "/change-security-codes-requested", "/change-security-codes",
    "/change-codes-confirmed", "/account", "/account/security", "/account/activity-history",
    "/account/change-password", "/account/enter-password?next=/account/security", "/logout",
]
# Whom the attacker acts as: the victims (whose email and password they know), themselves, or
# a new account with their own mailbox (by authenticator app or their own phone).
PERSONAS = ["victim", "victim_sms", "attacker", "new_app", "new_sms"]
AUTHORIZE = [(rp, level, login) for rp in (0, 1) for level in ("Cl.Cm", "Cl") for login in (False, True)]
BEGIN_AS = ["attacker", "new_app", "new_sms", "victim", "victim_sms"]
# Two tabs on one cookie jar; the second is opened less often, so one tab's story gets told.
TABS = st.sampled_from([0, 0, 0, 1])
CONFIRMATIONS = {"/account-created", "/change-codes-confirmed"}
SMS_PAGES = {"/enter-code", "/check-your-phone", "/reset-password-2fa-sms"}
TOTP_PAGES = {"/enter-authenticator-app-code", "/reset-password-2fa-auth-app"}
EMAIL_CODE_PAGES = {"/check-your-email", "/reset-password-check-email", "/change-security-codes-check-email"}
CHOICES = {
    "/sign-in-or-create": ("choice", ["sign-in", "create"]),
    "/get-security-codes": ("choice", ["auth_app", "sms", "passkey"]),
    "/how-do-you-want-security-codes": ("method", ["auth_app", "sms", "recovery_code"]),
    "/cannot-use-security-codes": ("how", ["email", "recovery_code"]),
}


def path_of(location: str, issuer: str) -> str | None:
    """The provider-relative path of a redirect, or None if it leaves the provider."""
    if location.startswith(issuer):
        location = location[len(issuer.rstrip("/")):]
    return location if location.startswith("/") and not location.startswith("//") else None


def step_of(secret: str, code: str) -> int | None:
    """The 30-second step an authenticator code was made for (the app accepts each once)."""
    totp, now = pyotp.TOTP(secret.replace(" ", "")), int(time.time() // 30)
    return next((step for step in (now - 1, now, now + 1) if totp.generate_otp(step) == code), None)


class JourneyMachine(RuleBasedStateMachine):
    """Bound to the suite's app and services by `machine_for` (rules run on the test's loop)."""

    loop = services = app = rps = hashed = None

    def __init__(self):
        super().__init__()
        self.world = Knowledge(self.services, self.rps)
        self.issuer = self.services.settings.issuer_url()
        self.browser = self.backchannel = None
        self.tabs = [Tab(), Tab()]
        self.run(self._open())

    def run(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    async def _open(self):
        self.backchannel = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=self.issuer)
        self._new_browser()
        await self.world.make_accounts(self.hashed)

    def _new_browser(self):
        self.browser = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False), base_url=self.issuer
        )
        self.tabs = [Tab(), Tab()]
        self.world.presented, self.world.session_backing = set(), set()

    def teardown(self):
        async def close():
            await self.browser.aclose()
            await self.backchannel.aclose()

        self.run(close())

    # --- the browser ----------------------------------------------------------------------------

    async def _land(self, tab: Tab, response, *, stop_at_auth_code: bool) -> None:
        """Follow redirects inside the provider (as a browser does) until a page, or a service."""
        for _ in range(12):
            assert response.status_code < 500, (response.request.url, response.status_code, response.text[:300])
            if response.status_code not in (301, 302, 303, 307):
                url = response.request.url
                tab.path, tab.html, tab.pending = url.path, response.text, None
                tab.history.append(url.raw_path.decode())
                if (url.path == "/account" or url.path.startswith("/account/")) and response.status_code == 200:
                    self.world.check_account_page(response.text, await self._session_email())
                return
            location = response.headers["location"]
            path = path_of(location, self.issuer)
            if path is None:  # to a service: the code (or error) is the service's
                tab.path, tab.html, tab.pending = None, "", None
                await self.world.check_code(self.backchannel, location)
                return
            if stop_at_auth_code and path == "/auth-code":
                tab.pending = path
                return
            response = await self.browser.get(path)
        raise AssertionError("redirect loop")

    async def _session_email(self) -> str | None:
        session = await self.services.sessions.load(self.browser.cookies.get(self.services.sessions.cookie_name))
        return await self.world.email_of(session.user_id) if session is not None and session.signed_in else None

    async def _get(self, tab: Tab, path: str, *, stop_at_auth_code: bool = False) -> None:
        response = await self.browser.get(path)
        starts = path.startswith("/authorize") or path == "/account" or path.startswith("/account/")
        if starts and response.status_code in (302, 303):
            location = path_of(response.headers["location"], self.issuer)
            if location is not None and not location.startswith("/account"):  # sent to sign in: a new journey
                await self.world.journey_started(self.browser.cookies.get(self.services.sessions.cookie_name))
        await self._land(tab, response, stop_at_auth_code=stop_at_auth_code)

    async def _submit(self, tab: Tab, fields: dict, *, follow: bool) -> bool:
        """Post the form the tab shows. Returns whether the journey moved (a redirect)."""
        token = CSRF.search(tab.html)
        if tab.path is None or token is None:
            return False
        path, html = tab.path, tab.html
        fields = {k: v for k, v in fields.items() if v is not None}
        world = self.world
        world.typed(fields)
        if path == "/enter-email-create":
            world.creating = {"email": fields.get("email", "")}
        elif path == "/create-password":
            world.creating["password"] = fields.get("password")
        elif path == "/setup-authenticator-app" and (shown := SECRET_SHOWN.search(html)):
            world.creating["totp_step"] = step_of(shown.group(1), fields.get("code", ""))
        if path in SMS_PAGES and "code" in fields:
            await world.sms_code_typed(fields["code"])
        response = await self.browser.post(path, data={"csrf_token": token.group(1), **fields})
        moved = response.status_code in (302, 303)
        location = response.headers.get("location", "")
        if moved and path_of(location, self.issuer) == "/account-created":
            await world.account_created()
        if moved and path == "/reset-password":
            await world.password_reset(fields.get("password", ""))
        if moved and path == "/change-security-codes" and (shown := SECRET_SHOWN.search(html)):
            await world.factor_replaced(shown.group(1).replace(" ", ""), step_of(shown.group(1), fields.get("code", "")))
        if moved and not follow and path_of(location, self.issuer) is not None:
            tab.pending = path_of(location, self.issuer)
            return True
        await self._land(tab, response, stop_at_auth_code=False)
        return moved

    async def _fill_as(self, tab: Tab, who: str, finish: bool) -> dict | None:
        """What the attacker types on the tab's page acting as `who` (None: nothing to type)."""
        world, path = self.world, tab.path
        person = world.persona(who)
        own = person if person.owner == "attacker" else world.persona("attacker")
        shown = SECRET_SHOWN.search(tab.html)
        if path == "/sign-in-or-create":
            return {"choice": "create" if who.startswith("new") else "sign-in"}
        if path == "/enter-email":
            return {"email": person.email}
        if path == "/enter-password":
            return {"password": person.password}
        if path == "/account/enter-password":
            next_page = NEXT_FIELD.search(tab.html)
            return {"password": person.password, "next": next_page.group(1) if next_page else "/account"}
        if path in TOTP_PAGES:
            return {"code": world.totp_code(own if person.totp_secret is None or person.owner == "victim" else person)}
        if path in ("/setup-authenticator-app", "/change-security-codes"):
            return {"code": pyotp.TOTP(shown.group(1).replace(" ", "")).now() if shown else WRONG_CODE}
        if path in SMS_PAGES:
            return {"code": await world.newest_code(channel="sms")}
        if path == "/check-your-email":
            return {"code": await world.newest_code(world.creating.get("email"))}
        if path in EMAIL_CODE_PAGES:
            return {"code": await world.newest_code(person.email)}
        if path == "/how-do-you-want-security-codes":
            return {"method": "auth_app" if person.totp_secret else "sms"}
        if path in ("/enter-recovery-code", "/reset-password-recovery-code"):
            return {"code": "abcde-fghij"}
        if path == "/reset-password-request":
            return {}
        if path in ("/reset-password", "/create-password"):
            password = new_password()
            return {"password": password, "confirm-password": password}
        if path == "/cannot-use-security-codes":
            return {"how": "email"}
        if path == "/enter-email-create":
            return {"email": world.fresh_address() if who.startswith("new") else person.email}
        if path == "/get-security-codes":
            return {"choice": "sms" if who == "new_sms" else "auth_app"}
        if path == "/enter-phone-number":
            return {"phone": world.phone}
        if path in CONFIRMATIONS:
            return {} if finish else None
        return None

    # --- rules ----------------------------------------------------------------------------------

    def _authorize_path(self, rp: int, level: str, login: bool) -> str:
        params = self.rps[rp].authorize_params(vtr=json.dumps([level]), prompt="login" if login else None)
        return "/authorize?" + urlencode(params)

    @initialize(where=st.sampled_from(["Cl.Cm", "account"]), who=st.sampled_from([*BEGIN_AS, None]))
    def begin(self, where, who):
        """A service asking for Cl.Cm (or the account pages) sends the browser to sign in; the
        citizen may have filled in some pages already, as someone, without finishing. (Cl and
        prompt=login come with the `navigate` rule.)"""
        path = "/account" if where == "account" else self._authorize_path(0, where, False)
        self.run(self._get(self.tabs[0], path))
        if who is not None:
            self.run(self._walk(self.tabs[0], who, finish=False))

    async def _walk(self, t: Tab, who: str, finish: bool) -> None:
        for _ in range(14):
            if t.pending:
                if t.pending == "/auth-code" and not finish:
                    return
                await self._get(t, t.pending, stop_at_auth_code=not finish)
                continue
            fields = await self._fill_as(t, who, finish) if t.path else None
            if fields is None or not await self._submit(t, fields, follow=False):
                return

    # Draws never depend on what the app answered (the same choices must replay the same draws
    # when an example is run again): a rule draws fixed-range indices and maps them onto the
    # options the page offers.
    def _back(self, t: Tab, back_to: int) -> None:
        earlier = [p for p in dict.fromkeys(t.history) if p != t.path]
        if earlier:
            page = earlier[back_to % len(earlier)]
            note(f"back to {page}")
            self.run(self._get(t, page, stop_at_auth_code=True))

    @rule(tab=TABS, go_back=st.booleans(), back_to=st.integers(0, 15), who=st.sampled_from(PERSONAS),
          finish=st.booleans())
    def walk(self, tab, go_back, back_to, who, finish):
        """Perhaps go back to an earlier page of the tab first; then (following the redirect the
        tab holds, if any) fill in page after page as one person. Without `finish`, stop before
        /auth-code and before a "Continue" button."""
        t = self.tabs[tab]
        if go_back:
            self._back(t, back_to)
        self.run(self._walk(t, who, finish))

    @rule(tab=TABS, back_to=st.integers(0, 15))
    def back(self, tab, back_to):
        """The back button: an earlier page of the tab, loaded again."""
        self._back(self.tabs[tab], back_to)

    @rule(tab=TABS, pick=st.integers(0, 31), other=st.integers(0, 31), resend=st.integers(0, 5), follow=st.booleans())
    def fill(self, tab, pick, other, resend, follow):
        """Fill the tab's form with any secret the attacker knows (or a wrong one)."""
        t = self.tabs[tab]
        if t.path is None or not CSRF.search(t.html):
            return
        world = self.world
        known = list(world.accounts.values())
        emails = [a.email for a in known] + [world.fresh_address(), "someone@example.com"]
        passwords = [a.password for a in known if a.password] + ["a-wrong-password-7"]
        codes = world.code_pool(t.html) + [self.run(world.newest_code()), self.run(world.newest_code(channel="sms"))]
        fields: dict = {}
        if t.path in CHOICES:
            name, options = CHOICES[t.path]
            fields[name] = options[pick % len(options)]
        elif t.path in ("/enter-email", "/enter-email-create"):
            fields["email"] = emails[pick % len(emails)]
        elif t.path in ("/enter-password", "/account/enter-password"):
            fields["password"] = passwords[pick % len(passwords)]
            if (n := NEXT_FIELD.search(t.html)) is not None:
                fields["next"] = n.group(1)
        elif t.path in ("/create-password", "/reset-password"):
            choices = [new_password(), *passwords]
            fields["password"] = choices[pick % len(choices)]
            fields["confirm-password"] = fields["password"] if other % 4 else "different-password-9"
        elif t.path == "/enter-phone-number":
            fields["phone"] = [world.phone, "07400 000000", "not a number"][pick % 3]
        else:
            fields["code"] = (codes + ["abcde-fghij"])[pick % (len(codes) + 1)]
            if resend == 0:
                fields.update({"action": "resend", "resend": "1"})
        note(f"fill {t.path} with {fields}")
        self.run(self._submit(t, fields, follow=follow))

    @rule(tab=TABS, where=st.sampled_from([*PAGES, *AUTHORIZE, "new browser"]))
    def navigate(self, tab, where):
        """Type any page's address; or a service sends the browser to /authorize (either
        service, Cl or Cl.Cm, prompt=login or not); or close the browser and open a new one (a
        new cookie jar: no session, nothing presented yet)."""
        if where == "new browser":
            self.run(self.browser.aclose())
            self._new_browser()
        elif isinstance(where, tuple):
            self.run(self._get(self.tabs[tab], self._authorize_path(*where)))
        else:
            self.run(self._get(self.tabs[tab], where))

    @invariant()
    def nobody_holds_what_they_did_not_prove(self):
        if self.browser is None:
            return

        async def check():
            await self.world.check_session(self.browser.cookies.get(self.services.sessions.cookie_name))
            await self.world.check_victims_unchanged()

        self.run(check())


def machine_for(loop, services, app, rps, hashed):
    bound = dict(loop=loop, services=services, app=app, rps=rps, hashed=hashed)
    return type("BoundJourneyMachine", (JourneyMachine,), bound)


@pytest.fixture(scope="module")
async def two_rps(services):
    return [await PropertyRP.create(services), await PropertyRP.create(services)]


@pytest.fixture(scope="module")
async def hashed(services):
    """Each persona's password and its hash, made once: accounts are fresh for every example."""
    out = {}
    for name in ("attacker", "victim", "victim-sms"):
        password = new_password()
        out[name] = (password, await services.accounts.passwords.hash(password))
    return out


async def test_nobody_signs_in_as_someone_else(app, services, backend, two_rps, hashed):
    if backend != "sqlite" and PROFILE != "long":
        pytest.skip("the bounded run uses SQLite; GOVSIGNIN_HYPOTHESIS_PROFILE=long runs both databases")
    machine = machine_for(asyncio.get_running_loop(), services, app, two_rps, hashed)
    profile = hsettings.get_profile(PROFILE)
    if examples := os.environ.get("GOVSIGNIN_HYPOTHESIS_EXAMPLES"):  # a run of another length
        profile = hsettings(profile, max_examples=int(examples))
    await asyncio.to_thread(run_state_machine_as_test, machine, settings=profile)
