"""app.StaticShortcut: discovery, JWKS and the trustmark skip Starlette's inner stack, with the
same response as the full stack, and an error before the response still gets the full stack's
answer (a 503 during an outage, never a bare 500)."""

from __future__ import annotations

import httpx

STATIC = ("/.well-known/openid-configuration", "/.well-known/jwks.json", "/trustmark")


async def test_the_shortcut_answers_like_the_full_stack(app, client):
    from govsignin.app import StaticShortcut

    shortcut = app.middleware_stack.app if app.middleware_stack else None
    if shortcut is None:
        await client.get("/healthz")  # builds the stack
        shortcut = app.middleware_stack.app
    assert isinstance(shortcut, StaticShortcut) and set(shortcut.routes) == set(STATIC)

    async def full_stack(scope, receive, send):
        scope["app"] = app  # as Starlette.__call__ sets it
        await shortcut.app(scope, receive, send)

    full = httpx.AsyncClient(transport=httpx.ASGITransport(app=full_stack), base_url=str(client.base_url))
    async with full:
        for path in STATIC:
            fast, slow = await client.get(path), await full.get(path)
            assert fast.status_code == slow.status_code == 200
            assert fast.content == slow.content
            for name in ("content-type", "content-length", "cache-control"):
                assert fast.headers[name] == slow.headers[name]
            head = await client.head(path)
            assert head.status_code == 200 and head.headers["content-length"] == fast.headers["content-length"]
    wrong_method = await client.post("/.well-known/jwks.json")
    assert wrong_method.status_code == 405  # not the shortcut's: the router's answer


async def test_an_outage_before_the_response_gets_the_503(client, services, monkeypatch):
    calls = []

    async def unreachable():
        calls.append(1)
        raise ConnectionRefusedError("database down")

    monkeypatch.setattr(services.keys, "ring", unreachable)
    response = await client.get("/.well-known/jwks.json", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    assert response.json()["error"] == "temporarily_unavailable"
    assert len(calls) == 2  # the shortcut's try, then the full stack's
