"""A service's public keys: registered PEM/JWKs, or its JWKS URI (cached like One Login, 24 h)."""

from __future__ import annotations

import time

from joserfc.jwk import KeySet

from govsignin.onboarding.models import RelyingParty

JWKS_CACHE_SECONDS = 86400
JWKS_REFRESH_MIN_SECONDS = 60  # an unknown kid refetches, but not more often than this
JWKS_TIMEOUT = 5.0
MAX_JWKS_BYTES = 64 * 1024


class ClientKeysUnavailable(Exception):
    pass


class ClientKeys:
    def __init__(self):
        self._remote: dict[str, tuple[float, KeySet]] = {}

    async def key_set(self, client: RelyingParty, kid: str | None) -> KeySet:
        if not client.jwks_uri:
            return KeySet.import_key_set({"keys": client.public_keys})
        cached = self._remote.get(client.jwks_uri)
        now = time.monotonic()
        stale = cached is None or now - cached[0] > JWKS_CACHE_SECONDS
        missing_kid = cached is not None and kid is not None and not _has_kid(cached[1], kid)
        if stale or (missing_kid and now - cached[0] > JWKS_REFRESH_MIN_SECONDS):
            keys = await self._fetch(client.jwks_uri)
            self._remote[client.jwks_uri] = (now, keys)
            return keys
        return cached[1]

    async def _fetch(self, uri: str) -> KeySet:
        import httpx  # only services with a jwks_uri need it: imported on first fetch

        try:
            async with httpx.AsyncClient(timeout=JWKS_TIMEOUT) as http:
                resp = await http.get(uri, headers={"User-Agent": "govsignin"})
            if resp.status_code != 200 or len(resp.content) > MAX_JWKS_BYTES:
                raise ClientKeysUnavailable(f"JWKS answered {resp.status_code}")
            return KeySet.import_key_set(resp.json())
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            raise ClientKeysUnavailable("JWKS could not be fetched") from exc


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys.keys)
