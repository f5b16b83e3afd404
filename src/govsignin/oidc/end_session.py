"""GET /logout: RP-initiated logout (OIDC RP-Initiated Logout 1.0, One Login §1.8).

- id_token_hint is verified (signature; expiry ignored) and names the service;
- post_logout_redirect_uri needs the hint and must be registered for that service;
- the browser's session ends, and every service in it gets a back-channel logout;
- success → 302 to the URI with state, or to /signed-out; errors → /signed-out?error_code=….
"""

from __future__ import annotations

from urllib.parse import urlencode


from govsignin.audit.tags import EventTag
from govsignin.oidc.backchannel import enqueue_logouts
from govsignin.oidc.id_token_hint import InvalidHint, read_id_token_hint
from govsignin.oidc.params import ParameterError, parse_params
from govsignin.oidc.responses import Redirect

MAX_QUERY = 2048  # One Login's WAF limit on /logout


async def end_session(request):
    services = request.app.state.services
    error = None
    target = None
    try:
        params = parse_params(request.scope.get("query_string", b""), max_total=MAX_QUERY)
    except ParameterError:
        params, error = {}, ("invalid_request", "Invalid logout request")

    hint, uri, state = params.get("id_token_hint"), params.get("post_logout_redirect_uri"), params.get("state")
    client = None
    if error is None and hint:
        try:
            claims = await read_id_token_hint(services, hint)
            aud = claims.get("aud")
            client = await services.registry.get(aud if isinstance(aud, str) else (aud or [None])[0])
            if client is None:
                raise InvalidHint()
        except InvalidHint:
            error = ("invalid_request", "unable to validate id_token_hint")
    if error is None and uri:
        if client is None:
            error = ("invalid_request", "post_logout_redirect_uri requires id_token_hint")
        elif uri not in client.post_logout_redirect_uris:
            error = ("invalid_request", "client registry does not contain post_logout_redirect_uri")
        else:
            target = uri + ("&" if "?" in uri else "?") + urlencode({"state": state} if state else {})
            target = target.rstrip("?&")

    session = await services.sessions.load(request.cookies.get(services.sessions.cookie_name))
    if session is not None:
        if session.signed_in:
            user = await services.accounts.get(session.user_id)
            if user is not None:
                await enqueue_logouts(services, user, session.clients)
                await services.audit.record(EventTag.LogoutSuccess, user_id=user.id, request=request)
        await services.sessions.end(session)

    if error is not None:
        target = "/signed-out?" + urlencode({"error_code": error[0], "error_description": error[1]})
    response = Redirect(target or "/signed-out", 302)
    services.sessions.clear_cookie(response)
    return response
