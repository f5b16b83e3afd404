"""/auth-code: the journey is complete; record the sign-in in the session and issue the code."""

from __future__ import annotations

import time

from govsignin.audit.tags import EventTag
from govsignin.journeys.machine import State
from govsignin.journeys.pages.common import Page, open_page
from govsignin.oidc.authorize.request import AuthorizationRequest
from govsignin.oidc.authorize.respond import issue_code
from govsignin.oidc.errors import LoginRequired
from govsignin.oidc.responses import redirect_error
from govsignin.oidc.subject import subject_for


async def auth_code(request):
    page = await open_page(request, State.AUTH_CODE)
    if not isinstance(page, Page):
        return page
    services, journey, session = page.services, page.journey, page.session
    auth = AuthorizationRequest.from_dict(journey.request)
    user = await services.accounts.get(journey.user_id) if journey.user_id else None
    client = await services.registry.get(auth.client_id)
    await services.journeys.delete(journey)
    if user is None or client is None or not journey.password_verified:
        return page.render(request, "journeys/session-expired.html")
    if auth.id_token_hint_sub and subject_for(client, user.internal_subject_id, services.settings.subject_salt) != auth.id_token_hint_sub:
        # Reauthentication as someone else: the service must not get a code (One Login).
        await services.sessions.end(session)
        return redirect_error(auth.redirect_uri, LoginRequired("Login required"), auth.state, auth.response_mode)

    fresh_sign_in = session.user_id != user.id
    if fresh_sign_in:
        session.clients = []
    session.user_id = user.id
    session.auth_time = int(time.time())
    session.level = "Cl.Cm" if journey.mfa_verified else "Cl"
    session = await services.sessions.rotate(session)  # a new id at every sign-in (no fixation)
    await services.audit.record(
        EventTag.LoginSuccess, user_id=user.id, client_id=client.client_id, request=request, level=session.level
    )
    response = await issue_code(services, session, auth, user.internal_subject_id)
    services.sessions.set_cookie(response, session)
    return response
