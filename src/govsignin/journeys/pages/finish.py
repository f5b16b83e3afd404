"""/auth-code: the journey is complete; record the sign-in in the session and issue the code."""

from __future__ import annotations

import time

from starlette.responses import RedirectResponse

from govsignin.audit.tags import EventTag
from govsignin.journeys.begin import ACCOUNT
from govsignin.journeys.machine import State
from govsignin.journeys.pages.common import Page, open_page
from govsignin.oidc.authorize.request import AuthorizationRequest
from govsignin.oidc.authorize.respond import issue_code
from govsignin.oidc.errors import LoginRequired
from govsignin.oidc.responses import NO_STORE, redirect_error
from govsignin.oidc.subject import subject_for


async def auth_code(request):
    page = await open_page(request, State.AUTH_CODE)
    if not isinstance(page, Page):
        return page
    services, journey, session = page.services, page.journey, page.session
    auth = AuthorizationRequest.from_dict(journey.request)
    user = await services.accounts.get(journey.user_id) if journey.user_id else None
    await services.journeys.delete(journey)
    if journey.data.get("destination") == ACCOUNT:  # the provider's own account pages
        if user is None or not journey.password_verified:
            return page.render(request, "journeys/session-expired.html")
        session = await _signed_in(request, services, session, user, journey, client_id=None)
        response = RedirectResponse(journey.data["return_to"], status_code=303, headers=NO_STORE)
        services.sessions.set_cookie(response, session)
        return response
    client = await services.registry.get(auth.client_id)
    if user is None or client is None or not journey.password_verified:
        return page.render(request, "journeys/session-expired.html")
    if auth.id_token_hint_sub and subject_for(client, user.internal_subject_id, services.settings.subject_salt) != auth.id_token_hint_sub:
        # Reauthentication as someone else: the service must not get a code (One Login).
        await services.sessions.end(session)
        return redirect_error(auth.redirect_uri, LoginRequired("Login required"), auth.state, auth.response_mode)

    session = await _signed_in(request, services, session, user, journey, client_id=client.client_id)
    response = await issue_code(services, session, auth, user.internal_subject_id)
    services.sessions.set_cookie(response, session)
    return response


async def _signed_in(request, services, session, user, journey, client_id: str | None):
    """Record the sign-in in the browser session (a new id: no fixation) and in the audit log."""
    fresh_sign_in = session.user_id != user.id
    if fresh_sign_in:
        session.clients = []
    session.user_id = user.id
    session.auth_time = int(time.time())
    session.level = "Cl.Cm" if journey.mfa_verified else "Cl"
    session = await services.sessions.rotate(session)  # a new id at every sign-in (no fixation)
    await services.audit.record(
        EventTag.LoginSuccess, user_id=user.id, client_id=client_id, request=request, level=session.level
    )
    return session
