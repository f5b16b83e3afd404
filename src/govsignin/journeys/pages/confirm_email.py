"""/check-your-email-sign-in: an imported account whose old system had not verified its email
address gets a code at that address after its password, before anything else (machine.py:
`email_unconfirmed`). The code is sent on arrival, once; re-sends and wrong codes count as for a
code sent to an address being registered (accounts/codes.py, purpose "sign-in-email": the
journey and the address, 6 then 15 minutes; a dead end, so no other route passes this page). A right code marks the address verified and fires
ACCOUNT_EMAIL_CONFIRMED, which proves Fact.ACCOUNT_EMAIL; the table goes on where the password
would have led."""

from __future__ import annotations

from govsignin.accounts.codes import OneTimeCodes, Verified
from govsignin.audit.tags import EventTag
from govsignin.journeys.pages.common import Page, advance, go, open_page
from govsignin.journeys.states import Event, State
from govsignin.messaging.limits import Refusal
from govsignin.ratelimit import client_ip
from govsignin.web.i18n import N_
from govsignin.web.templating import pick_language

TEMPLATE = "journeys/check-your-email-sign-in.html"
PURPOSE = "sign-in-email"


def _error(text: str) -> dict:
    return {"field": "code", "text": text}


async def check_your_email_sign_in(request):
    page = await open_page(request, State.CONFIRM_EMAIL)
    if not isinstance(page, Page):
        return page
    services, journey = page.services, page.journey
    codes = OneTimeCodes.of(services)

    async def send(resend: bool) -> Refusal | None:
        issued = await codes.issue(PURPOSE, journey.email, scope=journey.id, resend=resend, journey=journey.id,
                                   account=journey.user_id, destination=journey.email, ip=client_ip(request))
        if issued.blocked:
            return issued.refused
        await services.messages.send_email(journey.email, "email-code-sign-in",
                                           {"service": services.settings.service_name, "code": issued.code},
                                           pick_language(request))
        return None

    if await codes.is_blocked(PURPOSE, journey.email, scope=journey.id):
        return await advance(page, Event.CODE_ENTRY_BLOCKED)
    if request.method == "GET":
        resent = journey.data.pop("email_code_resent", False)
        if not journey.data.get("email_code_sent"):  # on arrival, once (not at every reload)
            if await send(resend=False):
                return await advance(page, Event.CODE_REQUESTS_BLOCKED)
            journey.data["email_code_sent"] = True
        await services.journeys.save(journey)
        return page.render(request, TEMPLATE, email=journey.email, resent=resent)
    if page.form.get("action") == "resend":
        if await send(resend=True):
            return await advance(page, Event.CODE_REQUESTS_BLOCKED)
        journey.data["email_code_resent"] = True
        await services.journeys.save(journey)
        return go(State.CONFIRM_EMAIL)
    code = page.form.get("code", "").replace(" ", "")
    error = None
    if not code:
        error = _error(N_("Enter the security code"))
    elif not (code.isdigit() and len(code) == 6):
        error = _error(N_("Enter the security code using only 6 digits"))
    if error:
        return page.render(request, TEMPLATE, status=400, email=journey.email, error=error)
    result = await codes.verify(PURPOSE, journey.email, code, scope=journey.id)
    if result is Verified.BLOCKED:
        await services.audit.record(EventTag.CodeLockout, user_id=journey.user_id, request=request)
        return await advance(page, Event.CODE_ENTRY_BLOCKED)
    if result is Verified.WRONG:
        return page.render(request, TEMPLATE, status=400, email=journey.email, error=_error(
            N_("The security code you entered is not correct, or may have expired, try again")))
    await services.accounts.confirm_email(journey.user_id)
    await services.audit.record(EventTag.LegacyEmailConfirmed, user_id=journey.user_id, request=request)
    journey.data.pop("email_code_sent", None)
    return await advance(page, Event.ACCOUNT_EMAIL_CONFIRMED)
