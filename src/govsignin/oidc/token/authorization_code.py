"""The authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3).

- code and redirect_uri are required; the code is consumed atomically (single use);
- a replayed code revokes the access token it issued (RFC 6749 §4.1.2), decided atomically with
  the redemption on every store (store.redeem);
- client and redirect_uri must match the authorize request;
- PKCE (RFC 7636 §4.6): S256(code_verifier) must equal the challenge; a verifier without a
  challenge is refused (downgrade protection);
- the ID token carries iss sub aud exp iat nonce at_hash sid auth_time vot vtm, and
  legacy_subject_id when the service that owns the citizen's legacy system asked for it there.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time

from govsignin import records
from govsignin.audit.tags import EventTag
from govsignin.crypto import constant_time_equal, new_token, token_hash
from govsignin.migration.links import legacy_subject_id
from govsignin.onboarding.claims import LEGACY_CLAIM
from govsignin.oidc.errors import InvalidGrant, InvalidRequest, describe
from govsignin.oidc.responses import json_response
from govsignin.oidc.signing import at_hash, sign
from govsignin.oidc.subject import subject_for
from govsignin.ratelimit import token_limited
from govsignin.store.base import REDEEMED, REPLAYED
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
    # Read the code, check the request against it, then redeem it in one atomic step of the
    # store (store.redeem): the code is deleted and the access token stored together with a
    # receipt naming it, or, if another redemption got there first, what that one issued is
    # revoked. However requests with one code interleave, exactly one is answered with tokens,
    # and if any other came, that one's access token no longer works (RFC 6749 §4.1.2). A
    # mismatch still spends the code; its error is raised once that is done.
    raw = await store.get(f"code:{code_key}")
    error, issue = None, None
    if raw is not None:
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
            issue = (f"at:{access_key}", access, settings.access_token_ttl)
        except Exception as exc:  # the code is spent all the same: redeem it, then raise
            error = exc
    outcome = await store.redeem(f"code:{code_key}", f"code-spent:{code_key}", f"at:{access_key}", settings.code_ttl, issue)
    if outcome != REDEEMED:
        if outcome == REPLAYED:
            await services.audit.record(EventTag.AuthorizationCodeReplayed, client_id=client.client_id, request=request)
        raise InvalidGrant(describe("invalid_grant"))
    if error is not None:
        raise error
    if not await services.sessions.token_still_valid(record["user_id"], record.get("gen"), record.get("skey")):
        # Issued before the owner signed out everywhere (or deleted the account), or before
        # this browser session signed out: the code is spent and gives nothing.
        await store.delete(f"at:{access_key}")
        raise InvalidGrant(describe("invalid_grant"))

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
    if record.get("id_token_claims") and client.legacy_system:  # only its owner, and only when asked
        legacy_id = await legacy_subject_id(services.engine, client, record["user_id"])
        if legacy_id is not None:
            claims[LEGACY_CLAIM] = legacy_id
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
