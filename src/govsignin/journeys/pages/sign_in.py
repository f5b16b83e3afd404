"""The sign-in pages: start, email, password, authenticator-app code, and the locked pages."""

from __future__ import annotations

import re

from govsignin.accounts.lockout import account, password_subject
from govsignin.audit.tags import EventTag
from govsignin.journeys.states import Event, State
from govsignin.journeys.pages.common import Page, advance, go, open_page
from govsignin.journeys.pages.passkey_sign_in import sign_in_with_passkey
from govsignin.oidc.errors import LoginRequired
from govsignin.oidc.responses import redirect_error
from govsignin.ratelimit import password_limited
from govsignin.web import metrics
from govsignin.web.i18n import N_

# Deliberately loose: the real check is that a code reaches the address.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _error(field: str, text: str) -> dict:
    return {"field": field, "text": text}


async def sign_in_or_create(request):
    page = await open_page(request, State.SIGN_IN_OR_CREATE)
    if not isinstance(page, Page):
        return page
    if request.method == "POST":
        return await advance(page, "CREATE_CHOSEN" if page.form.get("choice") == "create" else Event.SIGN_IN_CHOSEN)
    return page.render(request, "journeys/sign-in-or-create.html")


async def enter_email(request):
    page = await open_page(request, State.ENTER_EMAIL)
    if not isinstance(page, Page):
        return page
    if request.method == "GET":
        return page.render(request, "journeys/enter-email.html", email=page.journey.email or "")
    if page.form.get("action") == "passkey":  # "Sign in with a passkey", offered on this page to everyone
        return await sign_in_with_passkey(request, page)
    email = page.form.get("email", "").strip()
    error = None
    if not email:
        error = _error("email", N_("Enter your email address"))
    elif len(email) > 256 or not EMAIL.match(email):
        error = _error("email", N_("Enter an email address in the correct format, like name@example.com"))
    if error:
        return page.render(request, "journeys/enter-email.html", status=400, email=email, error=error)
    services, journey = page.services, page.journey
    from govsignin.journeys.pages.recovery import default_kind, prepare_for_user  # other methods, lost factor

    facts = await services.accounts.sign_in_facts(email=email)  # the account and its methods: one read
    # Another account than before (or none) forgets everything proven in this journey so far.
    await services.journeys.identify(journey, facts.user_id if facts else None, email.lower(),
                                     default_kind(facts) if facts else None)
    await prepare_for_user(services, journey, facts=facts)
    if await services.lockouts.is_blocked("password", password_subject(journey.user_id, journey.email)):
        return await advance(page, Event.EMAIL_BLOCKED)
    return await advance(page, Event.EMAIL_ENTERED)


async def enter_password(request):
    page = await open_page(request, State.ENTER_PASSWORD)
    if not isinstance(page, Page):
        return page
    if request.method == "GET":
        return page.render(request, "journeys/enter-password.html", email=page.journey.email)
    services, journey = page.services, page.journey
    password = page.form.get("password", "")
    if not password:
        return page.render(
            request, "journeys/enter-password.html", status=400, email=journey.email,
            error=_error("password", N_("Enter your password")),
        )
    if limited := await password_limited(request, journey.email):  # complements the lockout
        return limited
    # Counted before argon2 runs: concurrent guesses cannot all pass a check made before any counted.
    attempt = await services.lockouts.attempt("password", password_subject(journey.user_id, journey.email))
    if attempt.blocked:
        return await advance(page, Event.PASSWORD_LOCKED)
    if len(password) <= 256 and await services.accounts.check_password(journey.user_id, password):
        metrics.sign_in_attempt("Cl", "success")
        await attempt.succeeded()
        return await advance(page, Event.CREDENTIALS_VALIDATED)
    await services.audit.record(EventTag.LoginFailure, user_id=journey.user_id, request=request)
    metrics.sign_in_attempt("Cl", "failure")
    if await attempt.failed():
        metrics.lockout("password")
        await services.audit.record(EventTag.PasswordLockout, user_id=journey.user_id, request=request)
        return await advance(page, Event.PASSWORD_LOCKED)
    return page.render(
        request, "journeys/enter-password.html", status=400, email=journey.email,
        error=_error("password", N_("Incorrect email address or password")),
    )


async def login_required(request):
    """A failed reauthentication (the table's LOGIN_REQUIRED): One Login answers the service
    login_required and shows no block page. The browser session ends with its journey."""
    page = await open_page(request, State.LOGIN_REQUIRED)
    if not isinstance(page, Page):
        return page
    await page.services.sessions.end(page.session)  # and its journey, which is in its record
    req = page.journey.request
    return redirect_error(req["redirect_uri"], LoginRequired("Login required"), req["state"], req["response_mode"])


async def enter_auth_app_code(request):
    page = await open_page(request, State.ENTER_AUTH_APP_CODE)
    if not isinstance(page, Page):
        return page
    if request.method == "GET":
        return page.render(request, "journeys/enter-authenticator-app-code.html")
    services, journey = page.services, page.journey
    code = page.form.get("code", "").replace(" ", "")
    error = None
    if not code:
        error = _error("code", N_("Enter the security code"))
    elif not (code.isdigit() and len(code) == 6):
        error = _error("code", N_("Enter the security code using only 6 digits"))
    if error:
        return page.render(request, "journeys/enter-authenticator-app-code.html", status=400, error=error)
    attempt = await services.lockouts.attempt("code", account(journey.user_id))
    if attempt.blocked:
        return await advance(page, Event.CODE_LOCKED)
    if await services.accounts.check_auth_app_code(journey.user_id, code):
        metrics.sign_in_attempt("Cm", "success")
        await services.audit.record(EventTag.AuthAppCodeSuccess, user_id=journey.user_id, request=request)
        await attempt.succeeded()
        return await advance(page, Event.MFA_CODE_VERIFIED, method="auth_app")
    await services.audit.record(EventTag.AuthAppCodeFailure, user_id=journey.user_id, request=request)
    metrics.sign_in_attempt("Cm", "failure")
    if await attempt.failed():
        metrics.lockout("code")
        await services.audit.record(EventTag.CodeLockout, user_id=journey.user_id, request=request)
        return await advance(page, Event.CODE_LOCKED)
    return page.render(
        request, "journeys/enter-authenticator-app-code.html", status=400,
        error=_error("code", N_("The security code you entered is not correct, or may have expired, try again")),
    )


def _dead_end_page(state: State, template: str):
    async def view(request):
        page = await open_page(request, state)
        if not isinstance(page, Page):
            return page
        return page.render(request, template)

    return view


def _locked_page(state: State, template: str, kind: str):
    """A lockout's page: a block that only recovery lifts (the consecutive-failure cap) says so."""
    async def view(request):
        page = await open_page(request, state)
        if not isinstance(page, Page):
            return page
        user_id = page.journey.user_id
        until_recovery = bool(user_id) and await page.services.lockouts.held_until_recovery(kind, user_id)
        return page.render(request, template, until_recovery=until_recovery)

    return view


account_locked = _locked_page(State.ACCOUNT_LOCKED, "journeys/account-locked.html", "password")
security_code_locked = _locked_page(State.SECURITY_CODE_LOCKED, "journeys/security-code-invalid.html", "code")
second_factor_needed = _dead_end_page(State.SECOND_FACTOR_NEEDED, "journeys/second-factor-needed.html")
