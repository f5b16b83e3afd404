"""GET/POST /userinfo with a Bearer access token (OIDC Core §5.3, RFC 6750).

Errors as One Login sends them: no token → 401 `WWW-Authenticate: Bearer`; a bad or expired
token → 401 with error="invalid_token".
"""

from __future__ import annotations

import json

from starlette.responses import Response

from govsignin.crypto import token_hash
from govsignin.oidc.responses import NO_STORE, json_response


def _unauthorized(error: str | None = None, description: str | None = None) -> Response:
    challenge = "Bearer"
    if error:
        challenge += f' error="{error}", error_description="{description}"'
    return Response(status_code=401, headers={**NO_STORE, "WWW-Authenticate": challenge})


async def userinfo(request):
    services = request.app.state.services
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header or scheme.lower() != "bearer":
        return _unauthorized()
    token = token.strip()
    if not token or len(token) > 512:
        return _unauthorized("invalid_token", "Invalid access token")
    raw = await services.store.get(f"at:{token_hash(token)}")
    if raw is None:
        return _unauthorized("invalid_token", "Invalid access token")
    grant = json.loads(raw)
    user = await services.accounts.get(grant["user_id"])
    if user is None:  # deleted since the token was issued
        return _unauthorized("invalid_token", "Invalid access token")
    body = {"sub": grant["sub"]}
    scopes = grant["scope"]
    if "email" in scopes:
        body["email"] = user.email
        body["email_verified"] = bool(user.email_verified)
    if "phone" in scopes:
        if user.phone_number:
            body["phone_number"] = user.phone_number
        body["phone_number_verified"] = bool(user.phone_number and user.phone_number_verified)
    return json_response(body)
