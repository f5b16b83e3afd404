"""Signing in with a passkey, offered on /enter-email before any email is given.

The offer is the same for everyone: it does not depend on an email, so it cannot tell anyone
whether an account exists or has a passkey (it used to follow the email, and only for accounts
with a passkey). In a browser with WebAuthn, static/passkey-sign-in.js asks
`POST /enter-email/passkey-options` for discoverable-credential options (no allowCredentials;
the challenge is kept for this journey and is single use), starts a conditional request (the
passkey is offered in the email field's autofill) and shows a "Sign in with a passkey" button
for browsers without conditional UI. The response comes back in a form POST to /enter-email
(with the CSRF token), which hands it to `sign_in_with_passkey`: accounts/passkeys.py verifies
it (user verification required, sign count, the user handle) and names the account. A passkey
with user verification is something you have and something you know or are: both factors
(Cl.Cm). An unknown, removed or refused passkey gets one error, whatever the reason.
"""

from __future__ import annotations

from starlette.responses import Response

from govsignin.accounts.lockout import account
from govsignin.accounts.passkeys import Passkeys, PasskeyError
from govsignin.audit.tags import EventTag
from govsignin.journeys.states import Event, State
from govsignin.journeys.pages.common import Page, advance, open_page
from govsignin.oidc.responses import NO_STORE
from govsignin.web import metrics
from govsignin.web.i18n import N_

PASSKEY_FAILED = N_("We could not sign you in with your passkey. Try again, or enter your email address")


async def passkey_options(request):
    """POST (with the CSRF token) while the journey is at the email page: the options as JSON."""
    page = await open_page(request, State.ENTER_EMAIL)
    if not isinstance(page, Page):
        return page  # the start-again page, or a redirect to where the journey is: no options
    options = await Passkeys.of(page.services).authentication_options(scope=page.journey.id)
    return Response(options, media_type="application/json", headers=NO_STORE)


async def sign_in_with_passkey(request, page: Page):
    """A passkey response posted to /enter-email (the passkey form's action=passkey)."""
    services, journey = page.services, page.journey
    try:
        signed_in = await Passkeys.of(services).verify_authentication(
            scope=journey.id, response_json=page.form.get("credential", "")
        )
        if not signed_in.user_verified:
            raise PasskeyError("the passkey did not verify the user")
        facts = await services.accounts.sign_in_facts(user_id=signed_in.user_id)
        if facts is None:
            raise PasskeyError("the passkey's account is gone")
    except PasskeyError as exc:
        await services.audit.record(EventTag.PasskeySignInFailure, user_id=None, request=request, reason=str(exc)[:200])
        metrics.sign_in_attempt("passkey", "failure")
        error = {"field": "passkey-button", "text": PASSKEY_FAILED}  # the same whatever went wrong
        return page.render(request, "journeys/enter-email.html", status=400, email="", error=error)
    from govsignin.journeys.pages.recovery import default_kind, prepare_for_user  # other methods, lost factor

    await services.journeys.identify(journey, facts.user_id, facts.email, default_kind(facts))
    await prepare_for_user(services, journey, facts=facts)
    if await services.lockouts.is_blocked("password", account(journey.user_id)):
        return await advance(page, Event.EMAIL_BLOCKED)  # as if they had typed their email
    metrics.sign_in_attempt("passkey", "success")
    await services.audit.record(EventTag.PasskeySignIn, user_id=journey.user_id, request=request)
    return await advance(page, Event.PASSKEY_VERIFIED, method="passkey")
