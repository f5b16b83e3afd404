"""Discovery, JWKS and trustmark: built once, served pre-serialised with Cache-Control."""

from __future__ import annotations

import json

from starlette.responses import Response

from govsignin.oidc.claims import CLAIMS, SUPPORTED_SCOPES
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


def static_json(body: dict, max_age: int):
    """An endpoint whose JSON body is serialised once at start-up."""
    payload = json.dumps(body, separators=(",", ":")).encode()
    headers = {"Cache-Control": f"public, max-age={max_age}"}

    async def endpoint(request):
        return Response(payload, media_type="application/json", headers=headers)

    return endpoint


def trustmark(settings) -> dict:
    return {
        "idp": settings.issuer_url(),
        "trustmark_provider": settings.issuer_url(),
        "C": ["Cl", "Cl.Cm"],
        "P": ["P0"],  # identity levels are added as identity proving lands
    }


async def jwks(request):
    services = request.app.state.services
    ring = await services.keys.ring()
    return Response(
        ring.jwks_json,
        media_type="application/json",
        headers={"Cache-Control": f"public, max-age={services.settings.jwks_max_age}"},
    )
