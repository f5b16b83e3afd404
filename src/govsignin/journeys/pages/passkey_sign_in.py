"""/sign-in-passkey: offered after the email when the account has a passkey and the browser can
use one (enter-email's `webauthn` field, set by static/webauthn-support.js).

py_webauthn's authentication options go to `navigator.credentials.get` (static/passkey-sign-in.js);
the response comes back in a form POST (with the CSRF token) and is verified by
accounts/passkeys.py. User verification is required, so a passkey is something you have and
something you know or are: both factors (Cl.Cm). "Use your password instead" is always there.
"""

from __future__ import annotations

from govsignin.accounts.passkeys import Passkeys, PasskeyError
from govsignin.audit.tags import EventTag
from govsignin.journeys.flows.recovery import Event, State
from govsignin.journeys.pages.common import Page, advance, open_page
from govsignin.web.i18n import N_

TEMPLATE = "journeys/recovery/sign-in-passkey.html"


async def sign_in_passkey(request):
    if request.method == "GET" and request.query_params.get("use") == "password":
        page = await open_page(request, State.SIGN_IN_PASSKEY)
        if not isinstance(page, Page):
            return page
        return await advance(page, Event.PASSWORD_INSTEAD)
    page = await open_page(request, State.SIGN_IN_PASSKEY)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    passkeys = Passkeys.of(services)
    if request.method == "POST":
        try:
            signed_in = await passkeys.verify_authentication(scope=journey.id, response_json=page.form.get("credential", ""))
            if signed_in.user_id != journey.user_id or not signed_in.user_verified:
                raise PasskeyError("the passkey is not this account's, or did not verify the user")
        except PasskeyError as exc:
            await services.audit.record(EventTag.PasskeySignInFailure, user_id=journey.user_id, request=request, reason=str(exc)[:200])
            options = await passkeys.authentication_options(scope=journey.id, user_id=journey.user_id)
            return page.render(request, TEMPLATE, status=400, options=options, error={
                "field": "passkey", "text": N_("We could not sign you in with your passkey. Try again, or use your password instead"),
            })
        journey.password_verified = True
        journey.mfa_verified = True
        await services.audit.record(EventTag.PasskeySignIn, user_id=journey.user_id, request=request)
        return await advance(page, Event.PASSKEY_VERIFIED)
    options = await passkeys.authentication_options(scope=journey.id, user_id=journey.user_id)
    return page.render(request, TEMPLATE, options=options)
