"""Reading an id_token_hint we issued earlier: signature checked, expiry ignored (it only
identifies the citizen and the service, as One Login accepts expired hints on logout).

Only an ID token is a hint: its header says `typ: JWT` (a logout token says `logout+jwt`) and
it has an ID token's claims (iss, iat, exp; sub and aud, without which it names nobody) and no
`events`. Its audience is compared
exactly (`is_for`), never by substring."""

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
    if header.get("typ") != "JWT" or not _looks_like_an_id_token(claims, app.settings.issuer_url()):
        raise InvalidHint()
    return claims


def _looks_like_an_id_token(claims, issuer: str) -> bool:
    return (
        isinstance(claims, dict)
        and claims.get("iss") == issuer
        and isinstance(claims.get("sub", ""), str)  # without sub or aud it names nobody
        and isinstance(claims.get("aud", ""), str | list)
        and all(isinstance(claims.get(name), int | float) for name in ("iat", "exp"))
        and "events" not in claims
    )


def audience_of(claims: dict) -> str | None:
    """The one service a hint was issued to: `aud` as a string, or a list of exactly one."""
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    return aud if isinstance(aud, str) else None


def is_for(claims: dict, client_id: str) -> bool:
    return audience_of(claims) == client_id
