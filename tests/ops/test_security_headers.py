"""Security headers on every response: pages, protocol JSON, static JSON, redirects, 404s and
500s (web/headers.py, added by the one request layer in web/observability.py)."""

from __future__ import annotations

import dataclasses

import httpx
from starlette.routing import Route

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
DENY_ALL_CSP = "default-src 'none'; frame-ancestors 'none'"


def assert_common(response: httpx.Response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.request.url, name)
    assert len(response.headers.get_list("content-security-policy")) == 1
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-request-id"]


async def test_protocol_and_static_responses_get_the_deny_all_csp(client):
    for path in ("/.well-known/openid-configuration", "/.well-known/jwks.json", "/healthz"):
        response = await client.get(path)
        assert_common(response)
        assert response.headers["content-security-policy"] == DENY_ALL_CSP
        assert "strict-transport-security" not in response.headers  # the test issuer is http
    token = await client.post("/token", data={"grant_type": "authorization_code"})
    assert token.status_code in (400, 401)
    assert_common(token)
    assert token.headers["cache-control"] == "no-store"


async def test_pages_keep_their_own_nonce_csp(client):
    for path in ("/enter-email", "/no-such-page"):  # no journey: GOV.UK error pages; a 404 page
        response = await client.get(path)
        assert_common(response)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in csp and csp != DENY_ALL_CSP


async def test_a_500_gets_them_too_and_https_adds_hsts(settings, services):
    from govsignin.app import create_app

    app = create_app(dataclasses.replace(settings, issuer="https://signin.example.gov.uk"), services)

    async def boom(request):
        raise RuntimeError("boom")

    app.router.routes.append(Route("/boom", boom))
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://signin.example.gov.uk") as http:
        for path, status in (("/boom", 500), ("/.well-known/jwks.json", 200)):
            response = await http.get(path)
            assert response.status_code == status
            assert_common(response)
            assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


async def test_cookies_under_https_are_host_prefixed_secure_httponly_and_lax(settings, services):
    """The session cookie is `__Host-` (no Domain, Path=/, Secure), HttpOnly and SameSite=Lax
    (the return from a service is a top-level GET); the language cookie is Secure and HttpOnly
    too. Over http (development) the session cookie cannot be `__Host-`."""
    from urllib.parse import urlencode

    from govsignin.app import create_app
    from govsignin.services import build_services
    from tests.support.rp import TestRP

    rp = await TestRP.create(services)
    issuer = "https://signin.example.gov.uk"
    https_services = build_services(dataclasses.replace(settings, issuer=issuer))  # cookies follow the issuer
    try:
        app = create_app(https_services.settings, https_services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=issuer) as http:
            response = await http.get("/authorize?" + urlencode(rp.authorize_params(ui_locales="cy")))
    finally:
        await https_services.close()
    assert response.status_code in (302, 303), response.text[:300]
    cookies = {c.split("=", 1)[0]: c for c in response.headers.get_list("set-cookie")}
    session = cookies["__Host-gs"]
    attributes = {a.strip().lower() for a in session.split(";")[1:]}
    assert {"httponly", "secure", "path=/", "samesite=lax"} <= attributes
    assert not any(a.startswith("domain") for a in attributes)
    language = {a.strip().lower() for a in cookies["lng"].split(";")[1:]}
    assert {"httponly", "secure", "samesite=lax"} <= language


async def test_over_http_the_session_cookie_is_not_host_prefixed(client, services):
    from urllib.parse import urlencode

    from tests.support.rp import TestRP

    rp = await TestRP.create(services)
    response = await client.get("/authorize?" + urlencode(rp.authorize_params()))
    names = [c.split("=", 1)[0] for c in response.headers.get_list("set-cookie")]
    assert "gs" in names and "__Host-gs" not in names
    assert all("secure" not in c.lower() for c in response.headers.get_list("set-cookie"))
