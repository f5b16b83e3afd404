"""Protocol responses: JSON with no-store, redirects back to services, and the one HTML page."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse, Response

from govsignin import records
from govsignin.oidc.errors import OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def json_response(body: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        records.dump_bytes(body),
        status_code=status,
        media_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


def error_json(err: OAuthError, headers: dict | None = None) -> Response:
    body = {"error": err.error}
    if err.description:
        body["error_description"] = err.description
    extra = dict(headers or {})
    if err.error == "temporarily_unavailable":
        extra.setdefault("Retry-After", "30")
    return json_response(body, err.status if err.status != 401 else 400, extra)


def redirect_to_client(redirect_uri: str, params: dict, mode: str = "query") -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if mode == "fragment":
        url = f"{redirect_uri}#{query}"
    else:
        url = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"
    return RedirectResponse(url, status_code=302, headers=NO_STORE)


def redirect_error(redirect_uri: str, err: OAuthError, state: str | None, mode: str = "query") -> Response:
    return redirect_to_client(
        redirect_uri,
        {"error": err.error, "error_description": err.description, "state": state},
        mode,
    )
