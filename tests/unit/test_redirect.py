"""oidc.responses.Redirect gives exactly Starlette's RedirectResponse(url, status, headers=NO_STORE):
status, Location (quoted the same way), headers and body; cookies set on it are sent."""

from __future__ import annotations

import pytest
from starlette.responses import RedirectResponse

from govsignin.oidc.responses import NO_STORE, Redirect

URLS = [
    "/enter-email",
    "https://rp.example.gov.uk/callback?code=abc&state=x%20y",
    "https://rp.example.gov.uk/cb#code=a&state=b",
    "/account?return=/a b",
    "https://rp.example.gov.uk/caf\u00e9?x=\u00e9",
]


async def sent(response) -> list:
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    await response({"type": "http", "method": "GET", "path": "/"}, receive, send)
    return messages


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("status", [302, 303])
async def test_redirect_is_starlettes_redirect(url, status):
    ours, theirs = await sent(Redirect(url, status)), await sent(RedirectResponse(url, status, headers=NO_STORE))
    assert ours[0]["status"] == theirs[0]["status"] == status
    assert sorted(ours[0]["headers"]) == sorted(theirs[0]["headers"])
    assert ours[1] == theirs[1]


async def test_cookies_on_a_redirect():
    response = Redirect("/next", 302)
    response.set_cookie("gs", "value", httponly=True)
    headers = dict((await sent(response))[0]["headers"])
    assert headers[b"location"] == b"/next" and b"gs=value" in headers[b"set-cookie"]
