"""A service's public keys: registered PEM/JWKs, or its JWKS URI (cached like One Login, 24 h).

Fetching a JWKS URI is driven by whoever posts a client assertion, so it is bounded: one fetch
per URI at a time (concurrent requests wait for it: a single flight), an overall deadline and
a byte cap (onboarding/outbound.py, which also refuses private addresses in production), and
after a failure no new fetch for `jwks_failure_cache_seconds` (assertions fail at once). An
unknown `kid` refetches, but not more often than once a minute. Twenty forged assertions cost
at most one fetch.
"""

from __future__ import annotations

import asyncio
import json
import time

from joserfc.jwk import KeySet

from govsignin.onboarding.models import RelyingParty
from govsignin.onboarding.outbound import OutboundFailed, OutboundRefused, fetch

JWKS_CACHE_SECONDS = 86400
JWKS_REFRESH_MIN_SECONDS = 60  # an unknown kid refetches, but not more often than this


class ClientKeysUnavailable(Exception):
    pass


class ClientKeys:
    def __init__(self, settings):
        self.settings = settings
        self._remote: dict[str, tuple[float, KeySet]] = {}
        self._failed: dict[str, float] = {}  # URI → when its last fetch failed
        self._flights: dict[str, asyncio.Future] = {}

    async def key_set(self, client: RelyingParty, kid: str | None) -> KeySet:
        if not client.jwks_uri:
            return KeySet.import_key_set({"keys": client.public_keys})
        uri = client.jwks_uri
        cached = self._remote.get(uri)
        now = time.monotonic()
        stale = cached is None or now - cached[0] > JWKS_CACHE_SECONDS
        missing_kid = cached is not None and kid is not None and not _has_kid(cached[1], kid)
        if not (stale or (missing_kid and now - cached[0] > JWKS_REFRESH_MIN_SECONDS)):
            return cached[1]
        failed_at = self._failed.get(uri)
        if failed_at is not None and now - failed_at < self.settings.jwks_failure_cache_seconds:
            if cached is not None and not stale:
                return cached[1]
            raise ClientKeysUnavailable("JWKS failed recently; not fetched again yet")
        try:
            return await self._single_flight(uri)
        except ClientKeysUnavailable:
            if cached is not None and not stale:
                return cached[1]  # a refresh for an unknown kid failed: the keys we had still hold
            raise

    async def _single_flight(self, uri: str) -> KeySet:
        flight = self._flights.get(uri)
        if flight is None:
            flight = self._flights[uri] = asyncio.ensure_future(self._fetch(uri))
            flight.add_done_callback(lambda done: self._landed(uri, done))
        return await asyncio.shield(flight)  # one caller's cancellation must not end the others' fetch

    def _landed(self, uri: str, flight: asyncio.Future) -> None:
        self._flights.pop(uri, None)
        if not flight.cancelled():
            flight.exception()  # retrieved here too, in case every waiter was cancelled

    async def _fetch(self, uri: str) -> KeySet:
        settings = self.settings
        try:
            answer = await fetch("GET", uri, production=settings.env == "production",
                                 deadline=settings.jwks_timeout, max_bytes=settings.outbound_max_bytes)
            if answer.status != 200 or answer.truncated:
                raise ClientKeysUnavailable(f"JWKS answered {answer.status}" + (" (too large)" if answer.truncated else ""))
            keys = KeySet.import_key_set(json.loads(answer.body))
        except ClientKeysUnavailable:
            self._failed[uri] = time.monotonic()
            raise
        except (OutboundFailed, OutboundRefused, ValueError, KeyError, TypeError) as exc:
            self._failed[uri] = time.monotonic()
            raise ClientKeysUnavailable("JWKS could not be fetched") from exc
        self._failed.pop(uri, None)
        self._remote[uri] = (time.monotonic(), keys)
        return keys


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(k.kid == kid for k in keys.keys)
