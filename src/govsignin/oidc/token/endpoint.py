"""POST /token: parse → authenticate the client → dispatch on grant_type.

The parameters are checked before the client, in One Login's order (simulator:
src/parse/parse-token-request.ts): grant_type, then redirect_uri, then code.
"""

from __future__ import annotations

from govsignin.oidc.errors import InvalidRequest, OAuthError, UnsupportedGrantType, describe
from govsignin.web.params import ParameterError, parse_params
from govsignin.oidc.responses import error_json
from govsignin.oidc.token import authorization_code
from govsignin.oidc.token.client_auth import authenticate_client

MAX_BODY = 65536
GRANTS = {"authorization_code": authorization_code.exchange}


async def token(request):
    services = request.app.state.services
    try:
        params = await _read_form(request)
        grant_type = params.get("grant_type")
        if grant_type is None:
            raise InvalidRequest(describe("missing_grant_type"))
        grant = GRANTS.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(describe("grant_type"))
        if "redirect_uri" not in params:
            raise InvalidRequest(describe("missing_redirect_uri"))
        if "code" not in params:
            raise InvalidRequest(describe("missing_code"))
        client = await authenticate_client(services, params)
        return await grant(services, client, params, request)
    except OAuthError as exc:
        return error_json(exc)


async def _read_form(request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise InvalidRequest(describe("form_required"))
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise InvalidRequest(describe("too_large"))
    try:
        return parse_params(body, max_total=MAX_BODY)
    except ParameterError as exc:  # duplicates, encoding: the detail helps the service's developer
        raise InvalidRequest(str(exc)) from exc
