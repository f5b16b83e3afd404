"""GET/POST /userinfo with a Bearer access token (OIDC Core §5.3, RFC 6750).

Errors as One Login sends them: no token → 401 `WWW-Authenticate: Bearer`; a bad or expired
token → 401 with error="invalid_token", error_description="Invalid access token". One
deviation (docs/onelogin-compatibility.md): an Authorization header of another scheme is
answered as no token at all (RFC 6750 §3.1), where One Login says invalid_token.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select
from starlette.responses import Response

from govsignin import records
from govsignin.accounts.models import User
from govsignin.crypto import token_hash
from govsignin.db.reads import Query
from govsignin.migration.links import legacy_subject_id
from govsignin.onboarding.claims import LEGACY_CLAIM, LEGACY_SCOPE
from govsignin.oidc.errors import describe
from govsignin.oidc.responses import NO_STORE, json_response

INVALID_TOKEN = ("invalid_token", describe("access_token"))

_USERS = User.__table__
# The account's email and phone columns: one query, built once (db/reads.py: one aiosqlite call
# on SQLite), no ORM session, no identity map, no `User` object.
_CLAIMS = Query(select(_USERS.c.email, _USERS.c.email_verified, _USERS.c.phone_number,
                       _USERS.c.phone_number_verified).where(_USERS.c.id == bindparam("id")))


async def _claims_row(engine, user_id: str):
    """The claim columns, or None if the account no longer exists."""
    return await _CLAIMS.first(engine, id=user_id)


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
        return _unauthorized(*INVALID_TOKEN)
    raw = await services.store.get(f"at:{token_hash(token)}")
    if raw is None:
        return _unauthorized(*INVALID_TOKEN)
    grant = records.loads(raw)
    if not await services.sessions.token_still_valid(grant["user_id"], grant.get("gen"), grant.get("skey")):
        return _unauthorized("invalid_token", "Invalid access token")  # signed out since it was issued
    row = await _claims_row(services.engine, grant["user_id"])
    if row is None:  # deleted since the token was issued
        return _unauthorized(*INVALID_TOKEN)
    email, email_verified, phone_number, phone_number_verified = row
    body = {"sub": grant["sub"]}
    scopes = grant["scope"]
    if "email" in scopes:
        body["email"] = email
        body["email_verified"] = bool(email_verified)
    if "phone" in scopes:
        if phone_number:
            body["phone_number"] = phone_number
        body["phone_number_verified"] = bool(phone_number and phone_number_verified)
    if LEGACY_SCOPE in scopes or LEGACY_CLAIM in grant.get("claims", ()):
        client = await services.registry.get(grant["client_id"])
        if client is not None and client.legacy_system:  # only the owner of the legacy system
            legacy_id = await legacy_subject_id(services.engine, client, grant["user_id"])
            if legacy_id is not None:
                body[LEGACY_CLAIM] = legacy_id
    return json_response(body)
