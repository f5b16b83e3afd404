"""Signing our JWTs (ID tokens, logout tokens) with the current key for the service's alg."""

from __future__ import annotations

import base64
import hashlib

from joserfc import jwt


async def sign(keys, alg: str, claims: dict, typ: str = "JWT") -> str:
    ring = await keys.ring()
    kid, key = ring.signing[alg]
    return jwt.encode({"alg": alg, "kid": kid, "typ": typ}, claims, key)


def at_hash(access_token: str) -> str:
    """OIDC Core §3.1.3.6: left half of SHA-256 (our algs are all 256-bit), base64url."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
