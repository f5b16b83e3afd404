"""An existing account with no second factor (imported without one) sets one up at a Cl.Cm
request: account creation's pages from get-security-codes (flows/create_account.py), with the
account's address in `journey.data["create"]`, then `write_first_factor` here instead of a new
account. Only the journey's account, whose password it has proven, gets the factor."""

from __future__ import annotations

import time

from govsignin.accounts.registration import SecondFactor, add_first_factor
from govsignin.audit.tags import EventTag
from govsignin.journeys.pages.common import Page, advance, expired
from govsignin.journeys.states import Event
from govsignin.web.templating import pick_language

# The change as the "security-codes-changed" email names it.
CHANGES = {"auth_app": "an authenticator app", "sms": "text messages", "passkey": "a passkey"}


async def write_first_factor(request, page: Page, factor: SecondFactor, totp_step: int | None = None):
    services, journey = page.services, page.journey
    if not await add_first_factor(services, journey.user_id, factor):  # set up meanwhile in another tab
        await services.journeys.delete(journey)
        return expired(request, services, status=409)
    if totp_step is not None:  # the code just used cannot be replayed at sign-in
        window = services.settings.totp_window
        await services.store.add(f"totp-used:{journey.user_id}:{totp_step}", "1", 30 * (2 * window + 2))
    journey.data.pop("no_second_factor", None)  # the account has one now
    journey.data.pop("create", None)  # drop the secret and the number
    journey.data["methods"] = [factor.kind]
    journey.mfa_kind = factor.kind
    tag = EventTag.PasskeyAdded if factor.kind == "passkey" else EventTag.MfaChanged
    await services.audit.record(tag, user_id=journey.user_id, request=request, via="first-factor",
                                second_factor=factor.kind)
    await services.messages.send_email(
        journey.email, "security-codes-changed",
        {"time": time.strftime("%H:%M on %d %B %Y", time.gmtime()) + " UTC", "change": CHANGES[factor.kind]},
        pick_language(request),
    )
    return await advance(page, Event.FACTOR_ADDED, method=factor.kind)
