"""Client authentication at /token: a registry of methods, keyed by name.

private_key_jwt (RFC 7523 §2.2, OIDC Core §9) with the tolerances in contracts.md:
- `aud` is the token endpoint URL or the issuer; `kid` optional; RS*/PS*/ES256 keys;
- lifetime up to 60 minutes; `client_id` in the form or only in the assertion's iss/sub;
- `iss` = `sub` = client_id; `exp` required (30 s skew); every `jti` used once.
client_secret_post: a 256-bit secret compared, as a keyed SHA-256, in constant time.
"""

from __future__ import annotations

import json
import time

from joserfc import jws
from joserfc.errors import JoseError

from govsignin.oidc import jsonsafe
from govsignin.crypto import constant_time_equal, keyed_hash, token_hash
from govsignin.oidc.errors import InvalidClient, InvalidGrant, InvalidRequest, ServerError
from govsignin.onboarding.client_keys import ClientKeysUnavailable

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"]
BAD_SIGNATURE = "Invalid signature in private_key_jwt"


async def private_key_jwt(services, params: dict):
    settings = services.settings
    if params.get("client_assertion_type") != JWT_BEARER:
        raise InvalidClient("Invalid client_assertion_type")
    assertion = params.get("client_assertion")
    if not assertion or len(assertion) > 8192:
        raise InvalidClient("Invalid private_key_jwt")
    try:
        compact = jws.extract_compact(assertion.encode())
        header, unverified = compact.protected, jsonsafe.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidClient("Invalid private_key_jwt")
    if not isinstance(unverified, dict) or header.get("alg") not in ASSERTION_ALGS:
        raise InvalidClient("Invalid private_key_jwt")
    client_id = params.get("client_id") or unverified.get("iss")
    if not isinstance(client_id, str) or not client_id or len(client_id) > 64:
        raise InvalidClient("Invalid private_key_jwt")
    client = await services.registry.get(client_id)
    if client is None or not client.is_active:
        raise InvalidClient("Client authentication failed")
    if client.token_auth_method != "private_key_jwt":
        raise InvalidClient("Client is not registered to use private_key_jwt")

    kid = header.get("kid") if isinstance(header.get("kid"), str) else None
    try:
        key_set = await _key_set(services, client, kid)
    except ClientKeysUnavailable:
        raise ServerError("The service's keys could not be fetched")
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

    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise InvalidClient("Invalid private_key_jwt: iss and sub must be the client_id")
    aud = claims.get("aud")
    auds = {a for a in (aud if isinstance(aud, list) else [aud]) if isinstance(a, str)}
    if not auds & {settings.endpoint("/token"), settings.issuer_url()}:
        raise InvalidClient(BAD_SIGNATURE)  # One Login answers an audience error this way
    now, skew = time.time(), settings.clock_skew
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not _is_time(exp):
        raise InvalidClient("Invalid private_key_jwt: exp is required")
    if exp + skew < now:
        raise InvalidGrant("private_key_jwt has expired")
    start = iat if _is_time(iat) else now
    if iat is not None and (not _is_time(iat) or iat - skew > now):
        raise InvalidClient("Invalid private_key_jwt: iat is in the future")
    if nbf is not None and (not _is_time(nbf) or nbf - skew > now):
        raise InvalidClient("Invalid private_key_jwt: not valid yet")
    if exp - start > settings.client_assertion_max_lifetime + skew:
        raise InvalidClient("Invalid private_key_jwt: lifetime is longer than 60 minutes")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise InvalidClient("Invalid private_key_jwt: jti is required")
    # Replay check: remember the jti until the assertion could no longer be accepted.
    jti_key = f"jti:{token_hash(client_id + chr(0) + jti)}"  # fixed length, whatever the jti
    if not await services.store.add(jti_key, "1", exp + skew - now + 1):
        raise InvalidClient("Invalid private_key_jwt: jti has already been used")
    return client


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
    client_id, secret = params.get("client_id"), params.get("client_secret")
    if not client_id or not secret or len(client_id) > 64 or len(secret) > 512:
        raise InvalidClient("Invalid client credentials")
    client = await services.registry.get(client_id)
    if client is None or not client.is_active:
        raise InvalidClient("Invalid client credentials")
    if client.token_auth_method != "client_secret_post" or not client.secret_hash:
        raise InvalidClient("Client is not registered to use client_secret_post")
    if not constant_time_equal(keyed_hash(services.settings.client_secret_hash_key, secret), client.secret_hash):
        raise InvalidClient("Invalid client credentials")
    return client


METHODS = {"private_key_jwt": private_key_jwt, "client_secret_post": client_secret_post}


async def authenticate_client(services, params: dict):
    if "client_assertion" in params or "client_assertion_type" in params:
        if "client_secret" in params:
            raise InvalidRequest("Only one client authentication method may be used")
        return await METHODS["private_key_jwt"](services, params)
    if "client_secret" in params:
        return await METHODS["client_secret_post"](services, params)
    raise InvalidClient("Client authentication is required")


def _is_time(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 10**11
