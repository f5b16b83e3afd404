"""Client authentication at /token: a registry of methods, keyed by name.

private_key_jwt (RFC 7523 §2.2, OIDC Core §9) with the tolerances in contracts.md:
- `aud` is the token endpoint URL or the issuer; `kid` optional; RS*/PS*/ES256 keys;
- lifetime up to 60 minutes; `client_id` in the form or only in the assertion's iss/sub;
- `iss` = `sub` = client_id; `exp` required (30 s skew); every `jti` used once.
client_secret_post: a 256-bit secret compared, as a keyed SHA-256, in constant time.

Answers as One Login's (docs/onelogin-compatibility.md): a malformed assertion is
invalid_request "Invalid private_key_jwt"; an unknown client 401 invalid_client; a failed
check 400 invalid_client; an expired assertion invalid_grant.
"""

from __future__ import annotations

import json
import time

from joserfc import jws
from joserfc.errors import JoseError

from govsignin.oidc import jsonsafe
from govsignin.crypto import constant_time_equal, keyed_hash, token_hash
from govsignin.oidc.errors import InvalidClient, InvalidGrant, InvalidRequest, UnknownClient, describe
from govsignin.onboarding.client_keys import ClientKeysUnavailable

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"]
BAD_SIGNATURE = describe("bad_signature")


async def private_key_jwt(services, params: dict):
    settings = services.settings
    if params.get("client_assertion_type") != JWT_BEARER:
        raise InvalidRequest(describe("private_key_jwt"))
    assertion = params["client_assertion"]
    header, unverified = _parse_assertion(assertion, params.get("client_id"))
    client_id = unverified["sub"]
    client = await services.registry.get(client_id)
    if client is None or not client.is_active:
        raise UnknownClient(describe("client_auth_failed"))
    if client.token_auth_method != "private_key_jwt":
        raise InvalidClient(describe("not_private_key_jwt"))
    now, skew = time.time(), settings.clock_skew
    if unverified["exp"] + skew < now:
        raise InvalidGrant(describe("assertion_expired"))
    aud = unverified["aud"]
    auds = {a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)}
    if not auds & {settings.endpoint("/token"), settings.issuer_url()}:
        raise InvalidClient(BAD_SIGNATURE)  # One Login answers an audience error this way
    if unverified["iss"] != client_id:
        raise InvalidClient(BAD_SIGNATURE)  # and an iss that is not the sub

    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        key_set = await _key_set(services, client, kid)
    except ClientKeysUnavailable:
        raise InvalidClient(describe("client_keys_unavailable"))
    candidates = [k for k in key_set.keys if kid is None or k.kid == kid or k.kid is None]
    claims = None
    for key in candidates:
        try:
            claims = jsonsafe.loads(jws.deserialize_compact(assertion, key, algorithms=[header["alg"]]).payload)
            break
        except (JoseError, ValueError, TypeError):
            continue
    if claims is None:
        raise InvalidClient(BAD_SIGNATURE)

    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    start = iat if _is_time(iat) else now
    if iat is not None and iat - skew > now:
        raise InvalidClient(describe("assertion_iat"))
    if nbf is not None and nbf - skew > now:
        raise InvalidClient(describe("assertion_nbf"))
    if exp - start > settings.client_assertion_max_lifetime + skew:
        raise InvalidClient(describe("assertion_lifetime"))
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise InvalidClient(describe("assertion_jti_missing"))
    # Replay check: remember the jti until the assertion could no longer be accepted.
    jti_key = f"jti:{token_hash(client_id + chr(0) + jti)}"  # fixed length, whatever the jti
    if not await services.store.add(jti_key, "1", exp + skew - now + 1):
        raise InvalidClient(describe("assertion_jti_replay"))
    return client


def _parse_assertion(assertion: str, form_client_id: str | None) -> tuple[dict, dict]:
    """The assertion's header and claims before its signature is checked, refused as One Login
    refuses a malformed one: invalid_request "Invalid private_key_jwt" (simulator:
    validate-private-key-jwt.ts parseClientAssertion)."""
    malformed = InvalidRequest(describe("private_key_jwt"))
    if len(assertion) > 8192 or assertion.count(".") != 2 or not assertion.rsplit(".", 1)[1].strip():
        raise malformed
    try:
        compact = jws.extract_compact(assertion.encode())
        header, claims = compact.protected, jsonsafe.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeDecodeError):
        raise malformed
    if not isinstance(claims, dict) or header.get("alg") not in ASSERTION_ALGS:
        raise malformed
    sub, iss = claims.get("sub"), claims.get("iss")
    if not isinstance(sub, str) or not sub or len(sub) > 64 or not isinstance(iss, str) or not iss:
        raise malformed
    if not claims.get("aud") or not _is_time(claims.get("exp")):
        raise malformed
    if any(claims.get(name) is not None and not _is_time(claims[name]) for name in ("nbf", "iat")):
        raise malformed
    if form_client_id is not None and form_client_id != sub:
        raise malformed
    return header, claims


# Registered (not JWKS-URI) keys, imported once per client and key list: importing a public JWK
# costs ~56 us, a lookup ~5 us. Keyed by the keys' JSON, so a changed registration is re-imported.
_REGISTERED: dict[str, tuple[str, object]] = {}
_REGISTERED_MAX = 1024


async def _key_set(services, client, kid):
    if client.jwks_uri or not isinstance(client.public_keys, list):
        return await services.client_keys.key_set(client, kid)
    fingerprint = json.dumps(client.public_keys, sort_keys=True)
    hit = _REGISTERED.get(client.client_id)
    if hit is not None and hit[0] == fingerprint:
        return hit[1]
    key_set = await services.client_keys.key_set(client, kid)
    if len(_REGISTERED) >= _REGISTERED_MAX:
        _REGISTERED.clear()
    _REGISTERED[client.client_id] = (fingerprint, key_set)
    return key_set


async def client_secret_post(services, params: dict):
    client_id, secret = params["client_id"], params["client_secret"]
    if len(client_id) > 64 or len(secret) > 512:
        raise InvalidClient(describe("client_auth_failed"))
    client = await services.registry.get(client_id)
    if client is None or not client.is_active:
        raise InvalidClient(describe("client_auth_failed"))
    if client.token_auth_method != "client_secret_post":
        raise InvalidClient(describe("not_client_secret_post"))
    if not client.secret_hash:
        raise InvalidClient(describe("no_client_secret"))
    if not constant_time_equal(keyed_hash(services.settings.client_secret_hash_key, secret), client.secret_hash):
        raise InvalidClient(describe("client_secret"))
    return client


METHODS = {"private_key_jwt": private_key_jwt, "client_secret_post": client_secret_post}


async def authenticate_client(services, params: dict):
    """Pick the method as One Login does (simulator: src/parse/parse-token-request.ts): an
    assertion and its type, or a client_id and secret; anything else is invalid_request."""
    if "client_assertion" in params and "client_secret" in params:
        raise InvalidRequest(describe("auth_method"))  # RFC 6749 §2.3: one method only
    if "client_assertion" in params and "client_assertion_type" in params:
        return await METHODS["private_key_jwt"](services, params)
    if "client_secret" in params and "client_id" in params:
        return await METHODS["client_secret_post"](services, params)
    raise InvalidRequest(describe("auth_method"))


def _is_time(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 10**11
