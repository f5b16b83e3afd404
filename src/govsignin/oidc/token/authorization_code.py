"""The authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3).

- code and redirect_uri are required; the code is consumed atomically (single use);
- a replayed code revokes the access token it issued (RFC 6749 §4.1.2);
- client and redirect_uri must match the authorize request;
- PKCE (RFC 7636 §4.6): S256(code_verifier) must equal the challenge; a verifier without a
  challenge is refused (downgrade protection);
- the ID token carries iss sub aud exp iat nonce at_hash sid auth_time vot vtm.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

from govsignin import records
from govsignin.audit.tags import EventTag
from govsignin.crypto import constant_time_equal, new_token, token_hash
from govsignin.oidc.errors import InvalidGrant, InvalidRequest, describe
from govsignin.oidc.responses import json_response
from govsignin.oidc.signing import at_hash, sign
from govsignin.oidc.subject import subject_for
from govsignin.ratelimit import token_limited
from govsignin.web import metrics

VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


async def exchange(services, client, params: dict, request=None):
    settings, store = services.settings, services.store
    code, redirect_uri = params.get("code"), params.get("redirect_uri")
    if not code:
        raise InvalidRequest(describe("missing_code"))
    if not redirect_uri:
        raise InvalidRequest(describe("missing_redirect_uri"))
    if len(code) > 256:
        raise InvalidGrant(describe("invalid_grant"))
    if limited := await token_limited(request, client.client_id):  # before the code is spent
        return limited
    code_key = token_hash(code)
    access_token = new_token()
    access_key = token_hash(access_token)
    # One store transaction: consume the code, remember what it issued (so a replay can revoke
    # it) and, only if the request matches the code, store the access token. A mismatch still
    # spends the code; the error is raised once that is committed.
    async with store.transaction() as tx:
        raw = await tx.pop(f"code:{code_key}")
        if raw is not None:
            spent = (f"code-spent:{code_key}", access_key, settings.code_ttl)
            try:
                record = records.loads(raw)
                _check_grant(record, client, redirect_uri, params.get("code_verifier"))
                sub = subject_for(client, record["internal_sub"], settings.subject_salt)
                access = records.dumps(
                    {
                        "user_id": record["user_id"],
                        "client_id": client.client_id,
                        "sub": sub,
                        "scope": record["scope"],
                        "claims": record["claims"],
                        "sid": record["sid"],
                        "gen": record.get("gen"),
                        "skey": record.get("skey"),
                    }
                )
            except Exception as exc:  # the code is spent all the same: commit, then raise
                await tx.set(*spent)
                error = exc
            else:
                error = None
                await tx.set_many([spent, (f"at:{access_key}", access, settings.access_token_ttl)])
    if raw is None:
        await _revoke_if_replayed(services, code_key, client, request)
        raise InvalidGrant(describe("invalid_grant"))
    if error is not None:
        raise error
    if not await services.sessions.token_still_valid(record["user_id"], record.get("gen"), record.get("skey")):
        # Issued before the owner signed out everywhere (or deleted the account), or before
        # this browser session signed out: the code is spent and gives nothing.
        await store.delete(f"at:{access_key}")
        raise InvalidGrant("Invalid authorization code")

    now = int(time.time())
    claims = {
        "iss": settings.issuer_url(),
        "sub": sub,
        "aud": client.client_id,
        "exp": now + settings.id_token_ttl,
        "iat": now,
        "at_hash": at_hash(access_token),
        "sid": record["sid"],
        "auth_time": record["auth_time"],
        "vot": record["vot"],
        "vtm": settings.endpoint("/trustmark"),
    }
    if record.get("nonce") is not None:
        claims["nonce"] = record["nonce"]
    id_token = await sign(services.keys, client.id_token_alg, claims)
    metrics.token_issued("authorization_code", client.id_token_alg)
    return json_response(
        {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": settings.access_token_ttl,
            "id_token": id_token,
        }
    )


async def _revoke_if_replayed(services, code_key: str, client, request) -> None:
    spent = await services.store.get(f"code-spent:{code_key}")
    if spent:
        await services.store.delete(f"at:{spent}")
        await services.audit.record(
            EventTag.AuthorizationCodeReplayed, client_id=client.client_id, request=request
        )


def _check_grant(record: dict, client, redirect_uri: str, verifier: str | None) -> None:
    if record["client_id"] != client.client_id:
        raise InvalidGrant(describe("invalid_grant"))
    if record["redirect_uri"] != redirect_uri:
        raise InvalidGrant(describe("invalid_grant"))
    _check_pkce(record.get("code_challenge"), verifier)


def _check_pkce(challenge: str | None, verifier: str | None) -> None:
    if challenge is None:
        if verifier is not None:
            raise InvalidGrant(describe("pkce"))
        return
    if verifier is None or not VERIFIER.match(verifier):
        raise InvalidGrant(describe("pkce"))
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    if not constant_time_equal(computed, challenge):
        raise InvalidGrant(describe("pkce"))
