"""Signed request objects (JAR, RFC 9101), as One Login validates them (onelogin-contract.md §1.2).

- `request_uri` is not supported (answered after the redirect is proven: check_request_uri);
- the object is a JWS signed with one of the service's keys; bad signature → HTML page;
- `exp`/`nbf` within 30 s skew, else "Request expired" (HTML page);
- `iss` and the `client_id` claim equal the query's client_id;
- the query's response_type, scope and client_id equal the object's;
- `aud` contains the authorize URL (or the issuer);
- `request`/`request_uri` claims are forbidden;
- then the object's claims replace the query parameters.
"""

import json
import time

from joserfc import jws
from joserfc.errors import JoseError

from govsignin.oidc import jsonsafe
from govsignin.oidc.errors import AccessDenied, FatalRequest, UnauthorizedClient
from govsignin.onboarding.client_keys import ClientKeysUnavailable

ALLOWED_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256"]


async def load_request_object(ctx):
    raw = ctx.params.get("request")
    if raw is None:
        return
    client = ctx.client
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

    now, skew = time.time(), ctx.app.settings.clock_skew
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if not isinstance(exp, int | float) or exp + skew < now:
        raise FatalRequest("Request expired")
    if nbf is not None and (not isinstance(nbf, int | float) or nbf - skew > now):
        raise FatalRequest("Request expired")

    redirect_uri = claims.get("redirect_uri")
    if not isinstance(redirect_uri, str) or redirect_uri not in client.redirect_uris:
        raise FatalRequest("Invalid redirect URI")
    # From here the redirect is proven, so errors go back to the service.
    ctx.redirect_uri = redirect_uri
    ctx.state = claims.get("state") if isinstance(claims.get("state"), str) else None

    if claims.get("iss") != client.client_id or claims.get("client_id") != client.client_id:
        raise UnauthorizedClient("Invalid client in request object")
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    settings = ctx.app.settings
    accepted = {settings.endpoint("/authorize"), settings.issuer_url()}
    if not accepted & {a for a in auds if isinstance(a, str)}:
        raise AccessDenied("Invalid audience in request object")
    if "request" in claims or "request_uri" in claims:
        raise FatalRequest("Request object must not contain request or request_uri")
    for name in ("response_type", "scope"):
        if ctx.params.get(name) != claims.get(name):
            raise FatalRequest(f"Request object {name} does not match the query")

    merged = {"client_id": client.client_id}
    for name, value in claims.items():
        if name in ("iss", "aud", "exp", "nbf", "iat", "jti"):
            continue
        if isinstance(value, list | dict):
            value = json.dumps(value)
        elif isinstance(value, bool) or value is None:
            continue
        merged[name] = str(value)
    ctx.params = merged
    ctx.from_request_object = True
