"""/auth-code: the journey is complete; record the sign-in in the session and issue the code.

What this page gives (a code, a signed-in session, the account pages) and at which level is
derived only from facts bound to the journey's current account (Journey.level), never from the
path that led here: the table's precondition (machine.level_met) and the checks below agree.
The account's session generation must still be the one the journey identified it at: a journey
that passed the old password stops here once the owner resets it or signs out everywhere.
"""

from __future__ import annotations

import time


from govsignin.accounts.mfa import cancel_pending_mfa_resets
from govsignin.accounts.service_uses import service_use_statement
from govsignin.audit.tags import EventTag
from govsignin.journeys.begin import ACCOUNT, _internal_subject
from govsignin.journeys.states import State
from govsignin.journeys.pages.common import Page, open_page
from govsignin.oidc.authorize.request import AuthorizationRequest
from govsignin.oidc.authorize.respond import issue_code
from govsignin.oidc.errors import LoginRequired
from govsignin.oidc.responses import Redirect, redirect_error
from govsignin.oidc.subject import subject_for


# Second factors the owner holds: signing in with one cancels a pending lost-factor request.
REAL_FACTORS = frozenset({"auth_app", "sms", "passkey"})


async def auth_code(request):
    page = await open_page(request, State.AUTH_CODE)
    if not isinstance(page, Page):
        return page
    services, journey, session = page.services, page.journey, page.session
    auth = AuthorizationRequest.from_dict(journey.request)
    # The account must still exist; its internal subject is all this page needs of it.
    internal_sub = await _internal_subject(services, journey.user_id) if journey.user_id else None
    session.journey = None  # the journey ends here; written with the session below
    level = journey.level  # from facts bound to this account only
    generation = await services.sessions.generation(journey.user_id) if journey.user_id else 0
    if internal_sub is None or level is None or generation != journey.generation or not _meets(level, auth):
        return await _expired(request, page)
    if journey.data.get("mfa_reset_pending") and journey.second_factor_method in REAL_FACTORS:
        await cancel_pending_mfa_resets(services, journey.user_id)  # the owner has their factor after all
    if journey.data.get("destination") == ACCOUNT:  # the provider's own account pages
        old_id = await _signed_in(request, services, session, journey, internal_sub, None, generation)
        session = await services.sessions.write_renewed(session, old_id)
        response = Redirect(journey.data["return_to"], 303)
        services.sessions.set_cookie(response, session)
        return response
    client = await services.registry.get(auth.client_id)
    if client is None:
        return await _expired(request, page)
    if auth.id_token_hint_sub and subject_for(client, internal_sub, services.settings.subject_salt) != auth.id_token_hint_sub:
        # Reauthentication as someone else: the service must not get a code (One Login).
        await services.sessions.end(session)
        return redirect_error(auth.redirect_uri, LoginRequired("Login required"), auth.state, auth.response_mode)

    old_id = await _signed_in(request, services, session, journey, internal_sub, client.client_id, generation)
    # The code, the session under its new id, and the old record's removal: one transaction.
    response = await issue_code(services, session, auth, internal_sub, delete=services.sessions.old_keys(old_id))
    services.sessions.set_cookie(response, session)
    return response


def _meets(level: str, auth: AuthorizationRequest) -> bool:
    return level == "Cl.Cm" or auth.credential_level == "Cl"


async def _expired(request, page: Page):
    await page.services.sessions.save_keeping_idle(page.session)  # without its journey
    return page.render(request, "journeys/session-expired.html")


async def _signed_in(
    request, services, session, journey, internal_sub: str, client_id: str | None, generation: int
) -> str:
    """Record the sign-in in the browser session (a new id: no fixation; the caller writes it
    and removes the old record) and in the audit log. Returns the old id."""
    fresh_sign_in = session.user_id != journey.user_id
    if fresh_sign_in:
        session.clients = []
    session.user_id = journey.user_id
    session.sub = internal_sub
    session.auth_time = int(time.time())
    session.level = journey.level
    old_id = await services.sessions.renew_id(session, generation)  # a new id at every sign-in (no fixation)
    also = None
    if client_id is not None and client_id not in session.clients:
        # The first code for this service in this session: its service-use row is written in the
        # sign-in event's transaction (so issue_code finds it in session.clients and skips it).
        also = service_use_statement(services, journey.user_id, client_id)
        session.clients.append(client_id)
    signed_in = dict(user_id=journey.user_id, client_id=client_id, request=request, level=session.level)
    if also is None:
        await services.audit.record(EventTag.LoginSuccess, **signed_in)
    else:
        await services.audit.record_with(also, EventTag.LoginSuccess, **signed_in)
    return old_id
