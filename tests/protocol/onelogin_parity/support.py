"""Shared by the One Login parity tests: each test is one case of One Login's simulator
(github.com/govuk-one-login/simulator), replayed over HTTP as a service would send it, and
named after the rule it checks. Where govsignin deliberately answers otherwise, the test
asserts govsignin's answer and docs/onelogin-compatibility.md gives the reason."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt

VOCAB = "https://vocab.account.gov.uk/v1/"
JOURNEY_START = "/sign-in-or-create"


async def authorize(client, params: dict):
    return await client.get("/authorize?" + urlencode({k: v for k, v in params.items() if v is not None}))


def assert_page(response):
    """One Login's 400 with no redirect: our HTML error page."""
    assert response.status_code == 400, (response.status_code, response.headers.get("location"))
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")


def redirected_error(response, rp) -> dict:
    """The error sent back to the service's redirect_uri, as a flat dict of the query."""
    assert response.status_code == 302, response.text[:200]
    location = response.headers["location"]
    assert location.startswith(rp.redirect_uri + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def begins_a_journey(response) -> bool:
    return response.status_code == 302 and response.headers["location"] == JOURNEY_START


def jar_query(rp, request_object: str, **overrides) -> dict:
    """The outer query of a request-object authorize request, as One Login's docs show it."""
    query = {"response_type": "code", "scope": "openid email phone", "client_id": rp.client_id,
             "request": request_object}
    query.update(overrides)
    return query


def request_object(rp, **overrides) -> str:
    """A complete, valid request object signed with the service's key; an override of None
    leaves that claim out."""
    now = int(time.time())
    claims = {"iss": rp.client_id, "aud": rp.settings.endpoint("/authorize"), "exp": now + 300, "nbf": now,
              "iat": now, **rp.authorize_params()}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    alg = "RS256" if rp.alg == "RS256" else "ES256"
    return jwt.encode({"alg": alg, "kid": rp.key.kid}, claims, rp.key)


def token_error(response, status: int = 400) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()
