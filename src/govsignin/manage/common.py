"""What every account page shares: who is signed in, CSRF, the password re-prompt, rendering.

The account pages are first-party pages of the provider, on the same browser session as the
sign-in journey. GOV.UK One Login runs its account home (home.account.gov.uk) as a separate
relying party that signs in with scope `am` and `vtr=["Cl.Cm"]`; serving the pages from the
provider itself is simpler (no second client, tokens or session store) and gives the same
guarantees: a page is shown only to a session signed in at Cl.Cm, otherwise the citizen goes
through the normal sign-in journey (journeys/begin.py `begin_account_sign_in`) and comes back.

Sensitive changes ask for the password again (`/account/enter-password`); a correct password is
remembered for this browser session for REPROMPT_SECONDS. Changes to security codes are refused
for 48 hours after a password reset (`/account/cannot-change-security-codes`).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from urllib.parse import quote


from govsignin.accounts.mfa import mfa_change_blocked_until
from govsignin.crypto import constant_time_equal
from govsignin.journeys.begin import begin_account_sign_in
from govsignin.web.params import ParameterError
from govsignin.web.forms import read_form
from govsignin.oidc.responses import Redirect

REPROMPT_SECONDS = 300  # "enter your password" is valid this long for sensitive changes
PENDING_SECONDS = 900  # a change waiting for its code (new email, phone, authenticator app)

# Where a sign-in or a re-prompt may send the citizen back to: only our own account pages.
ACCOUNT_PATH = re.compile(r"^/account(/[a-z0-9-]+){0,2}(\?(id|event|backup)=\d{1,12})?$")


def safe_return(path: str | None, default: str = "/account") -> str:
    return path if path and ACCOUNT_PATH.match(path) else default


def go(path: str) -> Redirect:
    return Redirect(path, 303)


def error(field: str, text: str) -> dict:
    return {"field": field, "text": text}


@dataclass
class Account:
    services: object
    session: object
    user: object
    form: dict

    def render(self, request, template: str, status: int = 200, **context):
        return self.services.templates.render(
            request, template, status=status, csrf_token=self.session.csrf, user=self.user, **context
        )

    # Values a change keeps between its pages (new email, phone, secret), in the shared store.
    def _key(self, name: str) -> str:
        return f"acct-pending:{self.session.id}:{name}"

    async def remember(self, name: str, value: str) -> None:
        await self.services.store.set(self._key(name), value, PENDING_SECONDS)

    async def recall(self, name: str) -> str | None:
        return await self.services.store.get(self._key(name))

    async def forget(self, name: str) -> None:
        await self.services.store.delete(self._key(name))

    async def tell_owner(self, request, change: str) -> None:
        """Email the account's address that how it gets security codes changed ("if this was
        not you"): every change of second factors and recovery codes sends one."""
        await self.services.messages.send_email(
            self.user.email, "security-codes-changed", {"time": now_text(), "change": change}, lang(request))


def now_text() -> str:
    return time.strftime("%H:%M on %d %B %Y", time.gmtime()) + " UTC"


def lang(request) -> str:
    from govsignin.web.templating import pick_language

    return pick_language(request)


def _reprompt_key(session) -> str:
    return f"acct-pw:{session.id}"


async def password_fresh(services, session) -> bool:
    return await services.store.get(_reprompt_key(session)) is not None


async def mark_password_fresh(services, session) -> None:
    await services.store.set(_reprompt_key(session), "1", REPROMPT_SECONDS)


async def open_account(request, *, password: bool = False, mfa_change: bool = False) -> Account | object:
    """Return an Account, or the Response to send instead (sign in, re-prompt, refusals)."""
    services = request.app.state.services
    sessions = services.sessions
    session = await sessions.load(request.cookies.get(sessions.cookie_name))
    user = None
    if session is not None and session.signed_in and session.level == "Cl.Cm":
        user = await services.accounts.get(session.user_id)
    if user is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return_to = safe_return(here, safe_return(request.url.path)) if request.method == "GET" else "/account"
        return await begin_account_sign_in(request, services, session, return_to)
    form: dict = {}
    if request.method == "POST":
        try:
            form = await read_form(request)
        except ParameterError:
            return problem(request, services, 400)
        if not constant_time_equal(form.get("csrf_token", ""), session.csrf):
            return problem(request, services, 403)
    if mfa_change and await mfa_change_blocked_until(services, user.id):
        return go("/account/cannot-change-security-codes")
    if password and not await password_fresh(services, session):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        back = safe_return(here) if request.method == "GET" else "/account/security"
        return go(f"/account/enter-password?next={quote(back, safe='/')}")
    return Account(services, session, user, form)


def problem(request, services, status: int):
    """A refused form (bad CSRF token, not a form): ask to go back and try again."""
    return services.templates.render(request, "manage/problem.html", status=status)


