"""GET/POST /authorize: an ordered list of small checks, then the journey decides.

Until client_id and redirect_uri are proven, every error is the HTML page (never a redirect),
except a parse error (`ParseError`), which One Login sends back without state when the query's
client_id and redirect_uri are registered. After that, errors go back to the service with
error, error_description and state, in One Login's order of checks
(docs/onelogin-compatibility.md).
"""

from __future__ import annotations

from govsignin.journeys.begin import begin_or_resume
from govsignin.oidc.authorize.checks.check_channel import check_channel
from govsignin.oidc.authorize.checks.check_claims import check_claims
from govsignin.oidc.authorize.checks.check_client import check_client
from govsignin.oidc.authorize.checks.check_client_active import check_client_active
from govsignin.oidc.authorize.checks.check_hints import check_hints
from govsignin.oidc.authorize.checks.check_legacy_link import check_legacy_link
from govsignin.oidc.authorize.checks.check_jar_required import check_jar_required
from govsignin.oidc.authorize.checks.check_max_age import check_max_age
from govsignin.oidc.authorize.checks.check_nonce import check_nonce
from govsignin.oidc.authorize.checks.check_pkce import check_pkce
from govsignin.oidc.authorize.checks.check_prompt import check_prompt
from govsignin.oidc.authorize.checks.check_redirect_uri import check_redirect_uri
from govsignin.oidc.authorize.checks.check_request_object import check_request_object
from govsignin.oidc.authorize.checks.check_request_uri import check_request_uri
from govsignin.oidc.authorize.checks.check_response_mode import check_response_mode
from govsignin.oidc.authorize.checks.check_response_type import check_response_type
from govsignin.oidc.authorize.checks.check_scope import check_scope
from govsignin.oidc.authorize.checks.check_state import check_state
from govsignin.oidc.authorize.checks.check_ui_locales import check_ui_locales
from govsignin.oidc.authorize.checks.check_vtr import check_vtr
from govsignin.oidc.authorize.checks.load_request_object import load_request_object
from govsignin.oidc.authorize.checks.parse_request import parse_request
from govsignin.oidc.authorize.request import AuthorizeContext
from govsignin.oidc.errors import FatalRequest, OAuthError, ParseError
from govsignin.web.params import ParameterError, parse_params
from govsignin.oidc.responses import redirect_error
from govsignin.web.errors import protocol_error_page

# One Login's WAF limit on /authorize query strings.
MAX_QUERY = 4096
MAX_FORM = 16384

BEFORE_REDIRECT_IS_PROVEN = (
    check_client,
    parse_request,
    load_request_object,
    check_redirect_uri,
    check_response_mode,
)
AFTER_REDIRECT_IS_PROVEN = (
    check_client_active,
    check_state,
    check_request_object,
    check_request_uri,
    check_response_type,
    check_scope,
    check_claims,
    check_nonce,
    check_vtr,
    check_max_age,
    check_pkce,
    check_hints,
    check_legacy_link,
    check_channel,
    check_jar_required,
    check_ui_locales,
    check_prompt,
)


async def authorize(request):
    services = request.app.state.services
    try:
        if request.method == "POST":
            if request.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
                raise ParameterError("Request must be a form")
            params = parse_params(await _bounded_body(request, MAX_FORM), max_total=MAX_FORM)
        else:
            params = parse_params(request.scope.get("query_string", b""), max_total=MAX_QUERY)
    except ParameterError as exc:
        return protocol_error_page(request, str(exc))

    ctx = AuthorizeContext(params=params, app=services, query=params)
    try:
        for check in BEFORE_REDIRECT_IS_PROVEN:
            await check(ctx)
        for check in AFTER_REDIRECT_IS_PROVEN:
            await check(ctx)
    except FatalRequest as exc:
        return protocol_error_page(request, exc.description, exc.status)
    except ParseError as exc:
        redirect_uri = ctx.query.get("redirect_uri")
        if ctx.client is None or redirect_uri not in ctx.client.redirect_uris:
            return protocol_error_page(request, exc.detail)
        return redirect_error(redirect_uri, exc, None)
    except OAuthError as exc:
        if ctx.redirect_uri is None:
            return protocol_error_page(request, exc.description or exc.error)
        return redirect_error(ctx.redirect_uri, exc, ctx.state, ctx.response_mode)
    return await begin_or_resume(request, services, ctx.client, ctx.build())


async def _bounded_body(request, limit: int) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ParameterError("Request is too large")
    return body
