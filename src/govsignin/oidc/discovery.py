"""Discovery, JWKS and trustmark: built once, served pre-serialised with Cache-Control."""

from __future__ import annotations

import json

from govsignin.onboarding.claims import CLAIMS, SUPPORTED_SCOPES
from govsignin.oidc.token.client_auth import ASSERTION_ALGS


def discovery_document(settings) -> dict:
    e = settings.endpoint
    return {
        "issuer": settings.issuer_url(),
        "authorization_endpoint": e("/authorize"),
        "token_endpoint": e("/token"),
        "userinfo_endpoint": e("/userinfo"),
        "end_session_endpoint": e("/logout"),
        "jwks_uri": e("/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public", "pairwise"],
        "scopes_supported": list(SUPPORTED_SCOPES),
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "id_token_signing_alg_values_supported": ["ES256", "RS256"],
        "request_object_signing_alg_values_supported": ASSERTION_ALGS,
        "claim_types_supported": ["normal"],
        "claims_supported": [c.name for c in CLAIMS],
        "claims_parameter_supported": True,
        "request_parameter_supported": True,
        "request_uri_parameter_supported": False,
        "code_challenge_methods_supported": ["S256"],
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": False,
        "ui_locales_supported": ["en", "cy"],
        "vtr_supported": ["Cl", "Cl.Cm"],
        "trustmarks": e("/trustmark"),
        "service_documentation": e("/docs"),
    }


def _json_start(body: bytes, cache_control: bytes) -> list:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", cache_control),
    ]


class _StaticJSON:
    """A raw ASGI endpoint: the body and headers are bytes made once, so a request costs two
    `send` calls (no Request, no Response object). A fresh message per request, since the
    middleware replaces the headers of the message it is given."""

    def __init__(self, body: bytes, max_age: int):
        self.body = body
        self.headers = _json_start(body, f"public, max-age={max_age}".encode())

    def ready(self, scope) -> tuple[bytes, list]:
        """(body, headers) for the request layer's lane for static documents (web/observability.py);
        never None, so no `document` to await."""
        return self.body, self.headers

    async def __call__(self, scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": list(self.headers)})
        await send({"type": "http.response.body", "body": self.body})


def static_json(body: dict, max_age: int):
    """An endpoint whose JSON body is serialised once at start-up."""
    return _StaticJSON(json.dumps(body, separators=(",", ":")).encode(), max_age)


def trustmark(settings) -> dict:
    return {
        "idp": settings.issuer_url(),
        "trustmark_provider": settings.issuer_url(),
        "C": ["Cl", "Cl.Cm"],
        "P": ["P0"],  # identity levels are added as identity proving lands
    }


class _JWKS:
    """The key ring's pre-serialised JWKS, as a raw ASGI endpoint (see _StaticJSON)."""

    def __init__(self):
        self._cached = (None, None)  # (jwks bytes, headers) for the ring last served

    def ready(self, scope) -> tuple[bytes, list] | None:
        """(body, headers) without an await while the key ring is fresh (the lane's common
        case), else None and the lane awaits `document`."""
        services = scope["app"].state.services
        ring = services.keys.fresh_ring()
        return None if ring is None else self._answer(ring, services)

    async def document(self, scope) -> tuple[bytes, list]:
        """(body, headers): the key ring's JWKS, its headers made once per ring. Raises if the
        ring cannot be loaded (the request then takes the full stack: a 503 in an outage)."""
        services = scope["app"].state.services
        return self._answer(await services.keys.ring(), services)

    def _answer(self, ring, services) -> tuple[bytes, list]:
        body = ring.jwks_json
        cached_body, headers = self._cached
        if cached_body is not body:
            headers = _json_start(body, f"public, max-age={services.settings.jwks_max_age}".encode())
            self._cached = (body, headers)
        return body, headers

    async def __call__(self, scope, receive, send):
        body, headers = await self.document(scope)
        await send({"type": "http.response.start", "status": 200, "headers": list(headers)})
        await send({"type": "http.response.body", "body": body})


jwks = _JWKS()
