"""Protocol responses: JSON with no-store, redirects back to services, and the one HTML page."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.responses import Response

from govsignin import records
from govsignin.oidc.errors import OAuthError

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_REDIRECT_HEADERS = ((b"cache-control", b"no-store"), (b"pragma", b"no-cache"), (b"content-length", b"0"))
_LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"  # what Starlette's RedirectResponse leaves unquoted


class Redirect(Response):
    """`RedirectResponse(url, status_code, headers=NO_STORE)`: the same status, Location (quoted
    the same way) and headers, without building the header list anew for every redirect (a
    sign-in has six). Cookies are set on it as on any Response."""

    def __init__(self, url: str, status_code: int = 303):
        self.status_code = status_code
        self.background = None
        self.body = b""
        self.raw_headers = [(b"location", quote(url, safe=_LOCATION_SAFE).encode("latin-1")), *_REDIRECT_HEADERS]


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
    return json_response(body, err.status, extra)


def redirect_to_client(redirect_uri: str, params: dict, mode: str = "query") -> Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    if mode == "fragment":
        url = f"{redirect_uri}#{query}"
    else:
        url = f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{query}"
    return Redirect(url, 302)


def redirect_error(redirect_uri: str, err: OAuthError, state: str | None, mode: str = "query") -> Response:
    return redirect_to_client(
        redirect_uri,
        {"error": err.error, "error_description": err.description, "state": state},
        mode,
    )
