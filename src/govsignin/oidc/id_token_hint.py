"""Reading an id_token_hint we issued earlier: signature checked, expiry ignored (it only
identifies the citizen and the service, as One Login accepts expired hints on logout)."""

from __future__ import annotations

from govsignin.oidc import jsonsafe

from joserfc import jws
from joserfc.errors import JoseError


class InvalidHint(Exception):
    pass


async def read_id_token_hint(app, raw: str) -> dict:
    if len(raw) > 8192:
        raise InvalidHint()
    try:
        header = jws.extract_compact(raw.encode()).protected
        kid = header.get("kid")
        if header.get("alg") not in ("ES256", "RS256") or not isinstance(kid, str):
            raise InvalidHint()
        key = await app.keys.verifying_key(kid)
        if key is None:
            raise InvalidHint()
        obj = jws.deserialize_compact(raw, key, algorithms=[header["alg"]])
        claims = jsonsafe.loads(obj.payload)
    except (JoseError, ValueError, TypeError, UnicodeDecodeError, KeyError) as exc:
        raise InvalidHint() from exc
    if not isinstance(claims, dict) or claims.get("iss") != app.settings.issuer_url():
        raise InvalidHint()
    return claims
