"""After /authorize has validated a request: answer at once (single sign-on), or start a journey.

What the request still needs, given the browser session:
- nobody signed in → the full sign-in;
- prompt=login, max_age exceeded, or a reauthentication hint → the password again;
- signed in at `Cl` but `Cl.Cm` asked → only the second factor ("uplift");
- nothing → a code straight away. With prompt=none, anything needed is `login_required`.
"""

from __future__ import annotations

import time

from sqlalchemy import bindparam, select

from govsignin.accounts.models import User
from govsignin.db.reads import Query
from govsignin.journeys.journey import Journey
from govsignin.journeys.states import Event, Fact, State
from govsignin.oidc.authorize.request import AuthorizationRequest
from govsignin.oidc.authorize.respond import issue_code
from govsignin.oidc.errors import LoginRequired
from govsignin.oidc.responses import Redirect, redirect_error
from govsignin.web.templating import set_language_cookie

LEVELS = ("Cl", "Cl.Cm")
# Single sign-on needs only the account's internal subject (and that the account still exists):
# one column through Core, compiled once, rather than an ORM session and a whole User.
_INTERNAL_SUBJECT = Query(select(User.internal_subject_id).where(User.id == bindparam("user_id")))


async def _internal_subject(services, user_id: str) -> str | None:
    row = await _INTERNAL_SUBJECT.first(services.engine, user_id=user_id)
    return row[0] if row else None


def _reauth_needed(session, auth: AuthorizationRequest) -> bool:
    if "login" in auth.prompt or auth.id_token_hint_sub:
        return True
    return auth.max_age is not None and (time.time() - (session.auth_time or 0)) > auth.max_age


async def begin_or_resume(request, services, client, auth: AuthorizationRequest):
    sessions = services.sessions
    session = await sessions.load(request.cookies.get(sessions.cookie_name))
    new_session = session is None
    if session is None:
        session = sessions.new()

    # A link request is confirmed on a page (journeys/flows/legacy_link.py): never answered at once.
    if session.signed_in and not _reauth_needed(session, auth) and not auth.link_legacy_id:
        if LEVELS.index(session.level) >= LEVELS.index(auth.credential_level):
            # The session carries the subject (set at sign-in; deleting the account ends its
            # sessions); a session from before it did reads it.
            internal_sub = session.sub or await _internal_subject(services, session.user_id)
            if internal_sub is not None:
                session.sub = internal_sub
                response = await issue_code(services, session, auth, internal_sub)
                if new_session:
                    sessions.set_cookie(response, session)
                return _with_language(response, auth, services.settings)

    if "none" in auth.prompt:
        return redirect_error(auth.redirect_uri, LoginRequired("Login required"), auth.state, auth.response_mode)

    journey = Journey(id=session.id, request=auth.to_dict(), state=State.START, client_name=client.name)
    # Reauthentication: the service named the citizen (id_token_hint), or asked a signed-in
    # session for a fresh sign-in (prompt=login, max_age).
    journey.reauth = bool(auth.id_token_hint_sub) or (session.signed_in and _reauth_needed(session, auth))
    if session.signed_in and auth.id_token_hint_sub is None:
        await _carry_over(services, session, journey)
    _enter(journey)
    services.journeys.attach(journey, session)
    if new_session:  # anonymous: kept briefly until the first form post
        await sessions.save_provisional(session)
    else:
        await sessions.save(session)  # the session and its journey: one record, one write
    response = Redirect(f"/{journey.state}", 302)
    sessions.set_cookie(response, session)
    return _with_language(response, auth, services.settings)


# The provider's own account pages (manage/) are a first-party destination: the same journey,
# which then ends at a page of ours instead of issuing a code to a service (pages/finish.py).
ACCOUNT = "account"


async def begin_account_sign_in(request, services, session, return_to: str):
    """Send a citizen through sign-in (or only the second factor) and back to `return_to`.

    Account pages ask for Cl.Cm, as One Login's account home does (`vtr=["Cl.Cm"]`). The journey
    carries a request-shaped record with no service (client_id ""), so every page and guard that
    reads `journey.request` works unchanged; `journey.data["destination"]` says where it ends.
    """
    sessions = services.sessions
    new_session = session is None
    if session is None:
        session = sessions.new()
    auth = AuthorizationRequest(client_id="", redirect_uri=return_to, state="", scope=["openid"], credential_level="Cl.Cm")
    journey = Journey(id=session.id, request=auth.to_dict(), state=State.START,
                      data={"destination": ACCOUNT, "return_to": return_to})
    if session.signed_in:  # signed in at Cl: only the second factor ("uplift")
        await _carry_over(services, session, journey)
    _enter(journey)
    services.journeys.attach(journey, session)
    if new_session:
        await sessions.save_provisional(session)
    else:
        await sessions.save(session)
    response = Redirect(f"/{journey.state}", 303)
    sessions.set_cookie(response, session)
    return response


async def _carry_over(services, session, journey: Journey) -> None:
    """A journey in a signed-in browser session is for that session's account, and starts with
    what the session proved for it: the password (so a `Cl` session asking `Cl.Cm` needs only the
    second factor), and the second factor where the session is at `Cl.Cm`. A reauthentication
    asks for the password again (journey.reauth), so it is not carried over."""
    facts = await services.accounts.sign_in_facts(user_id=session.user_id)  # one read
    if facts is None:
        return
    from govsignin.journeys.pages.recovery import default_kind, prepare_for_user  # other methods, lost factor

    journey.identify(facts.user_id, facts.email, default_kind(facts), generation=session.gen)
    await prepare_for_user(services, journey, facts=facts)
    if not journey.reauth:
        journey.grant(Fact.PASSWORD)
    if session.level == "Cl.Cm":
        journey.grant(Fact.SECOND_FACTOR)


def _enter(journey: Journey) -> None:
    """The table's entry row names the first page."""
    journey.fire(Event.BEGIN)
    journey.history = [journey.state]


def _with_language(response, auth: AuthorizationRequest, settings):
    if auth.ui_locale:
        set_language_cookie(response, auth.ui_locale, settings)
    return response
