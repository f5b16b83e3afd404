"""web.routing.FixedPaths (requests for fixed paths skip Starlette's error and exception middleware and
the router) and the request layer's lane for static documents (discovery, JWKS, trustmark) must
give exactly what the full stack gives: the same status, body and headers for successes,
protocol errors, pages, 405s, HEAD, a handled exception (a 503 during an outage) and an
unhandled one (the 500 page, never a traceback)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from govsignin.web.routing import FixedPaths
from govsignin.web.observability import RequestObservability

VARYING = {"x-request-id", "content-security-policy", "set-cookie", "date"}
NONCE = re.compile(r"nonce=\"[^\"]*\"|name=\"csrf_token\" value=\"[^\"]*\"")


def fixed_paths(app) -> FixedPaths:
    layer = app.middleware_stack  # the outer layers (messages after the response, the request layer)
    while not isinstance(layer, FixedPaths) and hasattr(layer, "app"):
        layer = layer.app
    return layer


@pytest.fixture
async def both(app, client):
    await client.get("/healthz")  # builds the middleware stack
    fast = fixed_paths(app)
    assert isinstance(fast, FixedPaths) and "/enter-email" in fast.routes and "/token" in fast.routes

    async def inner(scope, receive, send):
        scope["app"] = app  # as Starlette.__call__ sets it
        await fast.app(scope, receive, send)

    full_stack = RequestObservability(inner, app.router.routes, app.security_headers)  # the same outer layer
    full_stack.documents = {}  # without its lane for static documents: the endpoints answer through the stack
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=full_stack), base_url=str(client.base_url)) as full:
        yield client, full


def same(a: httpx.Response, b: httpx.Response) -> None:
    assert a.status_code == b.status_code, (a.request.url, a.status_code, b.status_code)
    assert NONCE.sub("", a.text) == NONCE.sub("", b.text)
    headers_a = {k: v for k, v in a.headers.items() if k not in VARYING}
    headers_b = {k: v for k, v in b.headers.items() if k not in VARYING}
    assert headers_a == headers_b


@pytest.mark.parametrize("method, path, kwargs", [
    ("GET", "/.well-known/openid-configuration", {}),
    ("GET", "/.well-known/jwks.json", {}),
    ("HEAD", "/.well-known/jwks.json", {}),
    ("GET", "/trustmark", {}),
    ("POST", "/.well-known/jwks.json", {}),  # 405: the router's answer
    ("GET", "/enter-email", {}),  # no session: the "start again" page
    ("POST", "/enter-password", {"data": {"csrf_token": "x"}}),
    ("GET", "/authorize", {"params": {"client_id": "nobody"}}),  # the protocol error page
    ("POST", "/token", {"data": {"grant_type": "authorization_code"}}),  # invalid_request / invalid_client
    ("GET", "/userinfo", {}),  # 401 with WWW-Authenticate
    ("GET", "/account", {}),  # to sign-in
    ("GET", "/healthz", {}),
])
async def test_the_fixed_paths_answer_like_the_full_stack(both, method, path, kwargs):
    fast, full = both
    same(await fast.request(method, path, **kwargs), await full.request(method, path, **kwargs))


def request_layer(app) -> RequestObservability:
    layer = app.middleware_stack
    while not isinstance(layer, RequestObservability):
        layer = layer.app
    return layer


async def test_static_documents_take_the_lane(app, client, services, monkeypatch):
    await client.get("/healthz")
    outer = request_layer(app)
    assert set(outer.documents) == {"/.well-known/openid-configuration", "/.well-known/jwks.json", "/trustmark"}
    reached = []
    inner = fixed_paths(app)
    original = inner.__call__

    async def spy(scope, receive, send):
        reached.append(scope["path"])
        await original(scope, receive, send)

    monkeypatch.setattr(outer, "app", spy)
    response = await client.get("/.well-known/jwks.json", headers={"X-Request-Id": "trace-me-1"})
    assert response.status_code == 200 and response.json()["keys"]
    assert response.headers["x-request-id"] == "trace-me-1" and response.headers["x-frame-options"] == "DENY"
    assert reached == []  # answered by the lane
    await client.get("/healthz")
    assert reached == ["/healthz"]


async def test_an_outage_before_the_response_gets_the_503(client, services, monkeypatch):
    async def unreachable():
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(services.keys, "ring", unreachable)
    monkeypatch.setattr(services.keys, "fresh_ring", lambda: None)  # the cached ring is due for a reload
    response = await client.get("/.well-known/jwks.json", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["x-frame-options"] == "DENY"  # the request layer still ran


async def test_an_unhandled_error_is_the_500_page_and_is_raised_for_the_log(app, client):
    async def broken(request):
        raise RuntimeError("a bug")

    await client.get("/healthz")
    fast = fixed_paths(app)
    fast.routes["/broken-for-the-test"] = Route("/broken-for-the-test", broken)
    try:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as c:
            response = await c.get("/broken-for-the-test")
    finally:
        del fast.routes["/broken-for-the-test"]
    assert response.status_code == 500
    assert "a bug" not in response.text and "Traceback" not in response.text
    assert "Sorry, there is a problem" in response.text
    assert response.headers["x-request-id"]


def test_only_a_bare_request_response_route_is_called_directly():
    """FixedPaths calls an endpoint itself only where Starlette's request_response wrapper is all
    route.app holds: a route's own middleware, a sync endpoint or an ASGI app keep route.app."""
    from starlette.middleware import Middleware
    from starlette.middleware.gzip import GZipMiddleware

    from govsignin.web.routing import _request_endpoint

    async def endpoint(request):
        return None

    def sync_endpoint(request):
        return None

    async def asgi_app(scope, receive, send):
        return None

    assert _request_endpoint(Route("/x", endpoint))
    assert not _request_endpoint(Route("/x", endpoint, middleware=[Middleware(GZipMiddleware)]))
    assert not _request_endpoint(Route("/x", sync_endpoint))
    assert not _request_endpoint(Route("/x", type("App", (), {"__call__": asgi_app})()))
