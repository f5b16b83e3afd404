"""/logout: RP-initiated logout (OIDC RP-Initiated Logout 1.0, One Login §1.8), answered as
One Login answers it (simulator: src/components/logout/logout-controller.ts):

- id_token_hint is verified (signature, an ID token; expiry ignored) and names the service by
  its `aud`: a bad hint → error `invalid_request` "unable to validate id_token_hint"; a hint for
  no registered service → `unauthorized_client` "client not found"; a hint without aud or sub
  → the default page, no error;
- post_logout_redirect_uri is followed only with a hint for a service that registered it
  (unregistered → `invalid_request`); without a hint it is ignored;
- success → 302 to the URI with state; otherwise → /signed-out with state and any error.

The citizen is signed out at once only when the hint names the account signed in in this
browser (or nobody is signed in). Otherwise (no hint, or another account's) a page asks them
to confirm (§2: a GET anyone can link to must not end a session on its own); the page posts
the same parameters back with the session's CSRF token.
"""

from __future__ import annotations

from urllib.parse import urlencode

from govsignin.audit.tags import EventTag
from govsignin.crypto import constant_time_equal
from govsignin.oidc.backchannel import enqueue_logouts
from govsignin.oidc.errors import describe
from govsignin.oidc.id_token_hint import InvalidHint, audience_of, read_id_token_hint
from govsignin.web.params import ParameterError, parse_params
from govsignin.oidc.responses import Redirect
from govsignin.oidc.subject import subject_for
from govsignin.web.errors import protocol_error_page
from govsignin.web.forms import read_form

MAX_QUERY = 2048  # One Login's WAF limit on /logout
PASSED_ON = ("id_token_hint", "post_logout_redirect_uri", "state")
DEFAULT = "/signed-out"


async def end_session(request):
    if request.method == "POST":
        return await confirm_end_session(request)
    services = request.app.state.services
    session = await services.sessions.load(request.cookies.get(services.sessions.cookie_name))
    try:
        params = parse_params(request.scope.get("query_string", b""), max_total=MAX_QUERY)
        target, hinted_sub, client = await _destination(services, params)
    except ParameterError:
        params, hinted_sub, client = {}, None, None
        target = _default(None, ("invalid_request", describe("logout_request")))
    if session is not None and session.signed_in and not await _names_session(services, session, client, hinted_sub):
        return services.templates.render(
            request, "logout-confirm.html", csrf_token=session.csrf,
            fields=[(name, params[name]) for name in PASSED_ON if name in params],
        )
    return await _sign_out(request, session, target)


async def confirm_end_session(request):
    """POST /logout from the confirmation page."""
    services = request.app.state.services
    session = await services.sessions.load(request.cookies.get(services.sessions.cookie_name))
    try:
        form = await read_form(request)
    except ParameterError:
        form = {}
    if session is not None and not constant_time_equal(form.get("csrf_token", ""), session.csrf):
        return protocol_error_page(request, "The sign-out form has expired: sign out again from the service")
    # No session (it ended meanwhile): nothing to sign out, and the destination is checked as
    # a GET's would be, so going there is no different from following the service's link.
    params = {name: form[name] for name in PASSED_ON if name in form}
    target, _, _ = await _destination(services, params)
    return await _sign_out(request, session, target)


async def _destination(services, params: dict) -> tuple[str, str | None, object]:
    """Where the browser goes afterwards, the sub the hint names, and the hint's service."""
    hint, uri, state = params.get("id_token_hint"), params.get("post_logout_redirect_uri"), params.get("state")
    if not hint:
        return _default(state), None, None
    try:
        claims = await read_id_token_hint(services, hint)
    except InvalidHint:
        return _default(state, ("invalid_request", describe("logout_hint"))), None, None
    aud, sub = audience_of(claims), claims.get("sub")
    if not aud or not sub:
        return _default(state), None, None
    client = await services.registry.get(aud)
    if client is None:
        return _default(state, ("unauthorized_client", describe("logout_client"))), None, None
    if not uri:
        return _default(state), sub, client
    if uri not in client.post_logout_redirect_uris:
        return _default(state, ("invalid_request", describe("logout_uri"))), sub, client
    return _with_query(uri, {"state": state} if state else {}), sub, client


async def _names_session(services, session, client, hinted_sub: str | None) -> bool:
    """Whether the hint is for the account signed in here (its pairwise sub for that service)."""
    if client is None or hinted_sub is None:
        return False
    internal = session.sub
    if not internal:  # a session recorded before it kept the subject
        user = await services.accounts.get(session.user_id)
        internal = user.internal_subject_id if user is not None else None
    if not internal:
        return False
    return constant_time_equal(subject_for(client, internal, services.settings.subject_salt), hinted_sub)


def _default(state: str | None, error: tuple[str, str] | None = None) -> str:
    query = {"error_code": error[0], "error_description": error[1]} if error else {}
    if state:
        query["state"] = state
    return _with_query(DEFAULT, query)


def _with_query(uri: str, query: dict) -> str:
    if not query:
        return uri
    return uri + ("&" if "?" in uri else "?") + urlencode(query)


async def _sign_out(request, session, target: str):
    services = request.app.state.services
    if session is not None:
        if session.signed_in:
            user = await services.accounts.get(session.user_id)
            if user is not None:
                await enqueue_logouts(services, user, session.clients)
                await services.audit.record(EventTag.LogoutSuccess, user_id=user.id, request=request)
        await services.sessions.end(session)
    response = Redirect(target, 302)
    services.sessions.clear_cookie(response)
    return response
