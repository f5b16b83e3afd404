"""Signed request objects (JAR, RFC 9101): what must hold before the redirect is trusted.
Failures here are the HTML page, as One Login answers them (onelogin-contract.md §1.2):

- the object is a JWS signed with one of the service's keys (RS*/PS*/ES256);
- `exp` is required and `exp`/`nbf` hold within the clock skew, else "Request expired";
- it lives at most `request_object_max_lifetime` (exp - iat, or exp - nbf, or exp - now): a
  captured object cannot be kept for later;
- each object is used once: its `jti` (or, without one, the object itself) is remembered until
  it expires, so a replayed object gets the page;
- `redirect_uri` is present and registered.

Then its claims replace the query parameters; check_request_object checks the rest, with the
redirect trusted.
"""

import json
import time

from joserfc import jws
from joserfc.errors import JoseError

from govsignin.crypto import token_hash
from govsignin.oidc import jsonsafe
from govsignin.oidc.errors import FatalRequest
from govsignin.onboarding.client_keys import ClientKeysUnavailable

ALLOWED_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"]
NOT_COPIED = ("iss", "aud", "exp", "nbf", "iat", "jti", "sub", "client_id", "request", "request_uri")


async def load_request_object(ctx):
    raw = ctx.params.get("request")
    if raw is None:
        return
    client, settings = ctx.client, ctx.app.settings
    try:
        header = jws.extract_compact(raw.encode()).protected
        keys = await ctx.app.client_keys.key_set(client, header.get("kid"))
        obj = jws.deserialize_compact(raw, keys, algorithms=ALLOWED_ALGS)
        claims = jsonsafe.loads(obj.payload)
    except ClientKeysUnavailable:
        raise FatalRequest("Request object could not be verified: the service's keys are unavailable")
    except (JoseError, ValueError, TypeError, UnicodeDecodeError):
        raise FatalRequest("Request object is not validly signed")
    if not isinstance(claims, dict):
        raise FatalRequest("Request object is not validly signed")

    now, skew = time.time(), settings.clock_skew
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if not _is_time(exp) or exp + skew < now:
        raise FatalRequest("Request expired")
    if nbf is not None and (not _is_time(nbf) or nbf - skew > now):
        raise FatalRequest("Request expired")
    if iat is not None and not _is_time(iat):
        raise FatalRequest("Request object iat is not a time")
    start = iat if iat is not None else nbf if nbf is not None else now
    if exp - start > settings.request_object_max_lifetime + skew:
        raise FatalRequest("Request object lifetime is longer than allowed")

    redirect_uri = claims.get("redirect_uri")
    if not isinstance(redirect_uri, str) or redirect_uri not in client.redirect_uris:
        raise FatalRequest("Invalid redirect URI")

    jti = claims.get("jti")
    seen = jti if isinstance(jti, str) and 0 < len(jti) <= 256 else "object:" + token_hash(raw)
    replay_key = f"jar-jti:{token_hash(client.client_id + chr(0) + seen)}"
    if not await ctx.app.store.add(replay_key, "1", exp + skew - now + 1):
        raise FatalRequest("Request object has already been used")

    merged = {"client_id": ctx.params["client_id"]}
    for name, value in claims.items():
        if name in NOT_COPIED:
            continue
        if isinstance(value, list | dict):
            value = json.dumps(value)
        elif isinstance(value, bool) or value is None:
            continue
        merged[name] = str(value)
    ctx.request_claims = claims
    ctx.params = merged
    ctx.from_request_object = True


def _is_time(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 10**11
